//! `sluice plugin new NAME --lang rust|c|python|javascript`: writes a ready
//! filter project (the filter with a setting, fixture cases, a pipeline file
//! and a build script) from the templates in `guest-sdk/templates/`, which
//! are compiled into the binary. Projects name the SDK by the path of the
//! checkout this binary was built from (or `--sdk`), since the SDKs are not
//! on a public registry yet; a C project gets its own copy of the C SDK.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The plugin's name: lowercase letters, digits and `-`, starting with a
    /// letter (`keep-english`). The project is the folder of that name.
    name: String,
    /// The language to write it in.
    #[arg(long, value_enum)]
    lang: Language,
    /// The folder to create the project in.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// Sluice's guest-sdk folder, which Rust, Python and JavaScript projects
    /// depend on (default: the one this binary was built from).
    #[arg(long)]
    sdk: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Language {
    Rust,
    C,
    Python,
    Javascript,
}

/// A file of a template: where it goes in the project, and its text.
struct Template {
    path: &'static str,
    contents: Contents,
}

enum Contents {
    /// With `{{placeholders}}` filled in.
    Text(&'static str),
    /// Copied as it is.
    Bytes(&'static [u8]),
}

macro_rules! text {
    ($path:literal, $source:literal) => {
        Template {
            path: $path,
            contents: Contents::Text(include_str!(concat!("../../../guest-sdk/", $source))),
        }
    };
}

const COMMON: &[Template] = &[
    text!("README.md", "templates/common/README.md"),
    text!("pipeline.toml", "templates/common/pipeline.toml"),
    text!(
        "fixtures/english/input.ndjson",
        "templates/common/fixtures/english/input.ndjson"
    ),
    text!(
        "fixtures/english/expected.ndjson",
        "templates/common/fixtures/english/expected.ndjson"
    ),
    text!(
        "fixtures/english-and-japanese/input.ndjson",
        "templates/common/fixtures/english-and-japanese/input.ndjson"
    ),
    text!(
        "fixtures/english-and-japanese/expected.ndjson",
        "templates/common/fixtures/english-and-japanese/expected.ndjson"
    ),
    text!(
        "fixtures/english-and-japanese/config.json",
        "templates/common/fixtures/english-and-japanese/config.json"
    ),
    text!(
        "fixtures/misspelt-setting/input.ndjson",
        "templates/common/fixtures/misspelt-setting/input.ndjson"
    ),
    text!(
        "fixtures/misspelt-setting/config.json",
        "templates/common/fixtures/misspelt-setting/config.json"
    ),
    text!(
        "fixtures/misspelt-setting/init-error.txt",
        "templates/common/fixtures/misspelt-setting/init-error.txt"
    ),
];

const RUST: &[Template] = &[
    text!("Cargo.toml", "templates/rust/Cargo.toml"),
    text!(".cargo/config.toml", "templates/rust/.cargo/config.toml"),
    text!("src/lib.rs", "templates/rust/src/lib.rs"),
    text!("build.sh", "templates/rust/build.sh"),
    text!(".gitignore", "templates/rust/.gitignore"),
];

const C: &[Template] = &[
    text!("filter.c", "templates/c/filter.c"),
    text!("build.sh", "templates/c/build.sh"),
    text!(".gitignore", "templates/c/.gitignore"),
    // The C SDK itself: C has no package manager, so the project keeps a
    // copy, as C projects do.
    text!("sluice/build.sh", "c/build.sh"),
    text!("sluice/sluice_filter.h", "c/sluice_filter.h"),
    text!("sluice/sluice_filter.c", "c/sluice_filter.c"),
    text!("sluice/generated/filter.h", "c/generated/filter.h"),
    text!("sluice/generated/filter.c", "c/generated/filter.c"),
    Template {
        path: "sluice/generated/filter_component_type.o",
        contents: Contents::Bytes(include_bytes!(
            "../../../guest-sdk/c/generated/filter_component_type.o"
        )),
    },
];

const PYTHON: &[Template] = &[
    text!("app.py", "templates/python/app.py"),
    text!("build.sh", "templates/python/build.sh"),
    text!(".gitignore", "templates/python/.gitignore"),
];

const JAVASCRIPT: &[Template] = &[
    text!("filter.js", "templates/javascript/filter.js"),
    text!("package.json", "templates/javascript/package.json"),
    text!(".npmrc", "templates/javascript/.npmrc"),
    text!("build.sh", "templates/javascript/build.sh"),
    text!(".gitignore", "templates/javascript/.gitignore"),
];

impl Language {
    fn templates(self) -> &'static [Template] {
        match self {
            Language::Rust => RUST,
            Language::C => C,
            Language::Python => PYTHON,
            Language::Javascript => JAVASCRIPT,
        }
    }

    /// What the README calls it, the file to edit, and the tools build.sh needs.
    fn describe(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Language::Rust => (
                "Rust",
                "src/lib.rs",
                "cargo and rustup (it adds the `wasm32-wasip2` target)",
            ),
            Language::C => (
                "C",
                "filter.c",
                "Debian's `clang lld wasi-libc libclang-rt-dev-wasm32 libjsmn-dev` and \
                 `wasm-component-ld` (shipped with rustup's toolchains, or `cargo install \
                 wasm-component-ld`)",
            ),
            Language::Python => (
                "Python",
                "app.py",
                "python3 with venv (it installs the sluice-filter package and componentize-py \
                 0.25.1 into `.venv`)",
            ),
            Language::Javascript => (
                "JavaScript",
                "filter.js",
                "node and npm (it installs the sluice-filter package, which pins jco 1.35.0 and \
                 componentize-js 0.22.0)",
            ),
        }
    }
}

/// The checkout this binary was built from, when it is still there.
fn built_from(folder: &str) -> Option<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(folder)
        .canonicalize()
        .ok()
}

pub fn run(args: NewArgs) -> anyhow::Result<()> {
    check_name(&args.name)?;
    let project = args.dir.join(&args.name);
    if project.exists() {
        bail!("{} already exists", project.display());
    }
    let sdk = match (&args.sdk, args.lang) {
        (Some(sdk), _) => sdk
            .canonicalize()
            .with_context(|| format!("--sdk {}", sdk.display()))?,
        (None, Language::C) => PathBuf::new(),
        (None, _) => built_from("guest-sdk").context(
            "this sluice binary was built from a checkout that is gone: \
             pass --sdk /path/to/sluice/guest-sdk",
        )?,
    };
    let data = built_from("data").unwrap_or_else(|| PathBuf::from("tweets.ndjson"));
    let crate_name = args.name.replace('-', "_");
    let (language, source, tools) = args.lang.describe();
    let fill = |text: &str| {
        text.replace("{{name}}", &args.name)
            .replace("{{crate}}", &crate_name)
            .replace("{{camel}}", &lower_camel(&args.name))
            .replace("{{sdk}}", &sdk.display().to_string())
            .replace("{{data}}", &data.display().to_string())
            .replace("{{language}}", language)
            .replace("{{source}}", source)
            .replace("{{tools}}", tools)
    };

    for template in COMMON.iter().chain(args.lang.templates()) {
        let path = project.join(template.path);
        std::fs::create_dir_all(path.parent().expect("a template path has a folder"))
            .with_context(|| format!("creating {}", project.display()))?;
        match template.contents {
            Contents::Text(text) => std::fs::write(&path, fill(text)),
            Contents::Bytes(bytes) => std::fs::write(&path, bytes),
        }
        .with_context(|| format!("writing {}", path.display()))?;
        if template.path.ends_with(".sh") {
            make_executable(&path)?;
        }
    }
    println!(
        "wrote {} ({language}: edit {source})\n\n    cd {}\n    ./build.sh\n    sluice test {crate_name}.wasm fixtures/\n    sluice run --config pipeline.toml",
        project.display(),
        project.display()
    );
    Ok(())
}

fn check_name(name: &str) -> anyhow::Result<()> {
    let mut chars = name.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if !starts_with_letter
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || name.ends_with('-')
    {
        bail!(
            "plugin name `{name}`: use lowercase letters, digits and `-`, starting with a letter \
             (it names the crate or package, the function and the .wasm file)"
        );
    }
    Ok(())
}

/// `keep-english` -> `keepEnglish`, a JavaScript function name.
fn lower_camel(name: &str) -> String {
    let mut words = name.split('-');
    let mut camel = words.next().unwrap_or_default().to_owned();
    for word in words {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            camel.push(first.to_ascii_uppercase());
            camel.extend(chars);
        }
    }
    camel
}

#[cfg(unix)]
fn make_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("making {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}
