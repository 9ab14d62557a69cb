//! The WebAssembly side of the SDK: bindings generated from the WIT world
//! (the crate's own copy in `wit/`, so it builds from a package) and the glue
//! behind [`crate::export_plugin!`] and [`crate::export_filter!`]. Plugin
//! authors never use this module directly.

#[cfg(target_arch = "wasm32")]
pub mod bindings {
    wit_bindgen::generate!({
        world: "filter",
        path: "wit",
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
    use crate::{Config, Outcome, Plugin};

    thread_local! {
        // One plugin per instance; WebAssembly instances are single-threaded.
        static INSTANCE: RefCell<Option<Box<dyn std::any::Any>>> = const { RefCell::new(None) };
    }

    pub fn init<P: Plugin>(config: String) -> Result<(), String> {
        let plugin = P::init(Config::from_json(config))?;
        INSTANCE.with(|slot| *slot.borrow_mut() = Some(Box::new(plugin)));
        Ok(())
    }

    pub fn process<P: Plugin>(batch: Vec<Vec<u8>>) -> Vec<WitOutcome> {
        INSTANCE.with(|slot| {
            let mut slot = slot.borrow_mut();
            let plugin = slot
                .as_mut()
                .and_then(|p| p.downcast_mut::<P>())
                .expect("the host calls init before process");
            plugin.process(batch).into_iter().map(to_wit).collect()
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

/// Exports a [`crate::Plugin`] type as the component's implementation of
/// the `sluice:filter/filter` world; `#[sluice_sdk::filter]` calls it for
/// the type it makes. On native targets it expands to nothing, so the same
/// crate also builds as a library for tests and benchmarks.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct Component;
            impl $crate::wasm::bindings::Guest for Component {
                fn init(config: String) -> Result<(), String> {
                    $crate::wasm::init::<$plugin>(config)
                }
                fn process(
                    batch: Vec<Vec<u8>>,
                ) -> Vec<$crate::wasm::bindings::sluice::filter::types::Outcome> {
                    $crate::wasm::process::<$plugin>(batch)
                }
            }
    $crate::wasm::bindings::export_world!(Component with_types_in $crate::wasm::bindings);
        };
    };
}

/// Exports a [`crate::Filter`] type as the plugin's implementation of the
/// `sluice:filter/filter` world. Call it once, at the crate root.
#[macro_export]
macro_rules! export_filter {
    ($filter:ty) => {
        $crate::export_plugin!($crate::TraitPlugin<$filter>);
    };
}
