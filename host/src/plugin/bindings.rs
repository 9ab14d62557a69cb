//! Host bindings generated from the WIT world the plugins implement.

wasmtime::component::bindgen!({
    world: "filter",
    path: "../guest-sdk/wit",
});
