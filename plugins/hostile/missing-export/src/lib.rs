//! A component that exports `init` but not `process`: built from a copy of
//! the `filter` world with `process` left out (`wit/filter.wit`).

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({ world: "filter", path: "wit" });

    struct HalfAFilter;

    impl Guest for HalfAFilter {
        fn init(_config: String) -> Result<(), String> {
            Ok(())
        }
    }

    export!(HalfAFilter);
}
