//! What several rules share, computed from the facts: the workspace call graph and reach sets,
//! what every replica runs (roles), cross-process locks and claims, shared side effects, pool sites, log events, path matchers and
//! expression values followed to where they are written.

pub mod call_graph;
pub mod claims;
pub mod local_work;
pub mod locks;
pub mod log_macros;
pub mod matchers;
pub mod one_time;
pub mod pool_sites;
pub mod process_maps;
pub mod roles;
pub mod side_effects;
pub mod state_sites;
pub mod values;
