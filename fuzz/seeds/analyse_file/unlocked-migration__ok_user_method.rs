// A service's own method that happens to share a harness method's name is not diesel's.
use diesel_migrations::MigrationHarness;

pub struct Store;

impl Store {
    pub fn run_migrations(&self) -> usize {
        0
    }
}

pub fn start(store: &Store) -> usize {
    store.run_migrations()
}

/// `refinery` is not used here: a `migrations::runner()` of our own is not refinery's.
pub mod migrations {
    pub struct Runner;
    impl Runner {
        pub fn run(&self) {}
    }
    pub fn runner() -> Runner {
        Runner
    }
}

pub fn own_runner() {
    migrations::runner().run();
}
