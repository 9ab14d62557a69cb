//! The WebAssembly side of the SDK: bindings generated from the WIT world and
//! the glue behind [`crate::export_filter!`]. Plugin authors never use this
//! module directly.

#[cfg(target_arch = "wasm32")]
pub mod bindings {
    wit_bindgen::generate!({
        world: "filter",
        path: "../wit",
        default_bindings_module: "sluice_sdk::wasm::bindings",
        pub_export_macro: true,
        export_macro_name: "export_world",
    });
}

#[cfg(target_arch = "wasm32")]
pub use glue::*;

#[cfg(target_arch = "wasm32")]
mod glue {
    use std::cell::RefCell;

    use super::bindings::sluice::filter::types::Outcome as WitOutcome;
    use crate::{Config, Filter, Outcome, process_batch};

    thread_local! {
        // One filter per instance; WebAssembly instances are single-threaded.
        static INSTANCE: RefCell<Option<Box<dyn std::any::Any>>> = const { RefCell::new(None) };
    }

    pub fn init<F: Filter>(config: String) -> Result<(), String> {
        let filter = F::init(Config::from_json(config))?;
        INSTANCE.with(|slot| *slot.borrow_mut() = Some(Box::new(filter)));
        Ok(())
    }

    pub fn process<F: Filter>(batch: Vec<Vec<u8>>) -> Vec<WitOutcome> {
        INSTANCE.with(|slot| {
            let slot = slot.borrow();
            let filter = slot
                .as_ref()
                .and_then(|f| f.downcast_ref::<F>())
                .expect("the host calls init before process");
            process_batch(filter, batch)
                .into_iter()
                .map(to_wit)
                .collect()
        })
    }

    fn to_wit(outcome: Outcome) -> WitOutcome {
        match outcome {
            Outcome::Pass => WitOutcome::Pass,
            Outcome::Replace(bytes) => WitOutcome::Replace(bytes),
            Outcome::Drop => WitOutcome::Drop,
            Outcome::Split(records) => WitOutcome::Split(records),
            Outcome::Reject(reason) => WitOutcome::Reject(reason),
        }
    }
}

/// Exports a [`crate::Filter`] type as the plugin's implementation of the
/// `sluice:filter/filter` world. Call it once, at the crate root. On native
/// targets it expands to nothing, so the same crate also builds as a library
/// for tests and benchmarks.
#[macro_export]
macro_rules! export_filter {
    ($filter:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct Component;
            impl $crate::wasm::bindings::Guest for Component {
                fn init(config: String) -> Result<(), String> {
                    $crate::wasm::init::<$filter>(config)
                }
                fn process(
                    batch: Vec<Vec<u8>>,
                ) -> Vec<$crate::wasm::bindings::sluice::filter::types::Outcome> {
                    $crate::wasm::process::<$filter>(batch)
                }
            }
    $crate::wasm::bindings::export_world!(Component with_types_in $crate::wasm::bindings);
        };
    };
}
