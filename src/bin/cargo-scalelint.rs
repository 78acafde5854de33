//! `cargo scalelint`: cargo runs this as `cargo-scalelint scalelint <args>`. Without paths it
//! checks the whole workspace around the current folder.

fn main() {
    scalelint::tune_allocator();
    let mut args: Vec<_> = std::env::args_os().skip(1).collect();
    if args.first().is_some_and(|a| a == "scalelint") {
        args.remove(0);
    }
    std::process::exit(scalelint::cli::cargo_main_with(args));
}
