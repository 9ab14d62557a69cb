//! A plugin that breaks the batch contract: it answers a batch of `n`
//! records with `n - 1` outcomes. It implements the WIT world's `Guest`
//! directly, since the SDK's `Filter` always returns one outcome per record.

#[cfg(target_arch = "wasm32")]
mod component {
    use sluice_sdk::wasm::bindings::Guest;
    use sluice_sdk::wasm::bindings::sluice::filter::types::Outcome;

    struct WrongCount;

    impl Guest for WrongCount {
        fn init(_config: String) -> Result<(), String> {
            Ok(())
        }

        fn process(batch: Vec<Vec<u8>>) -> Vec<Outcome> {
            batch.iter().skip(1).map(|_| Outcome::Pass).collect()
        }
    }

    sluice_sdk::wasm::bindings::export_world!(WrongCount with_types_in sluice_sdk::wasm::bindings);
}
