//! A filter built against `sluice:filter@2.0.0`, a version the host does not
//! implement (`wit/filter.wit`: `process` takes a second argument).

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({ world: "filter", path: "wit" });

    struct FromTheFuture;

    impl Guest for FromTheFuture {
        fn init(_config: String) -> Result<(), String> {
            Ok(())
        }

        fn process(batch: Vec<Vec<u8>>, _context: String) -> Vec<Outcome> {
            batch.iter().map(|_| Outcome::Pass).collect()
        }
    }

    export!(FromTheFuture);
}
