//! Warns when the SDK is built for WebAssembly without SIMD: simd-json picks
//! its implementation when it is compiled, and without `simd128` it parses
//! about 3x slower. A crate cannot set its dependents' target features, so
//! the project says it (`sluice plugin new` writes it into
//! `.cargo/config.toml`); this says when a project forgot.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    if arch == "wasm32" && !features.split(',').any(|feature| feature == "simd128") {
        println!(
            "cargo:warning=sluice-sdk is built for wasm32 without simd128, so records parse about 3x \
             slower; add `[target.wasm32-wasip2] rustflags = [\"-C\", \"target-feature=+simd128\"]` \
             to the project's .cargo/config.toml"
        );
    }
}
