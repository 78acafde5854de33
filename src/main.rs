fn main() {
    scalelint::tune_allocator();
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    std::process::exit(scalelint::cli::main_with(args));
}
