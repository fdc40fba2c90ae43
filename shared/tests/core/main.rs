//! `shared`'s integration tests, one crate (the library and its dependencies are linked once):
//! the simulated network (`convergence`), the merge rules, recovery after a rejection
//! (`reissue`), the twelve-year case-review replay (`scenario`) and the change policy against
//! the crafted-change corpus with its property tests (`validate`).

mod choice;
mod convergence;
mod lessons;
mod merge_rules;
mod reissue;
mod same_child;
mod scenario;
mod validate;
mod whole_story;
