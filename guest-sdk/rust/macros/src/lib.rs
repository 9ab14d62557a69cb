//! `#[sluice_sdk::filter]`: turns one function into a Sluice filter plugin.
//!
//! Use it through `sluice-sdk`, which re-exports it; the expansion names
//! `::sluice_sdk`. The function takes the record first and, optionally, the
//! plugin's settings second:
//!
//! | first parameter | the record as | what it costs |
//! |---|---|---|
//! | `record: &[u8]` | its bytes, not checked to be JSON | nothing |
//! | `tweet: &View` | a read-only view of simd-json's tape | one parse, no tree |
//! | `tweet: &mut Value` | the editable document | the parse and a tree built from it |
//!
//! | second parameter | the settings |
//! |---|---|
//! | (none) | the plugin takes none: any key in its table is refused by name |
//! | `settings: &S` | `S: serde::Deserialize`, parsed once in `init` |
//! | `state: &mut S` | the same, and the filter may change it between records |
//!
//! The lifetimes of `View`, `Value` and `Verdict` are filled in when the
//! signature leaves them out, and a public type named after the function in
//! UpperCamelCase (`keep_english` -> `KeepEnglish`) implements
//! `sluice_sdk::Plugin`: it is what the component exports, and what a native
//! test drives.

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{FnArg, Ident, ItemFn, Lifetime, Type, TypePath, parse_macro_input};

const USAGE: &str = "a #[sluice_sdk::filter] function takes the record as `tweet: &View` (read-only, \
     the fast path), `tweet: &mut Value` (editable) or `record: &[u8]` (unparsed bytes), then optionally its settings as `settings: &S` \
     or `state: &mut S` (S: serde::Deserialize), and returns a `Verdict`";

#[proc_macro_attribute]
pub fn filter(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        return syn::Error::new(
            proc_macro2::TokenStream::from(attr).span(),
            "#[sluice_sdk::filter] takes no arguments",
        )
        .to_compile_error()
        .into();
    }
    let function = parse_macro_input!(item as ItemFn);
    match expand(function) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// How the function wants the record.
enum Record {
    Bytes,
    View,
    Document,
}

/// How the function wants its settings.
struct Settings {
    ty: Type,
    mutable: bool,
}

fn expand(mut function: ItemFn) -> syn::Result<proc_macro2::TokenStream> {
    let signature = &function.sig;
    if signature.inputs.is_empty() || signature.inputs.len() > 2 {
        return Err(syn::Error::new(signature.span(), USAGE));
    }
    let record = record_kind(&signature.inputs[0])?;
    let settings = signature.inputs.get(1).map(settings_kind).transpose()?;

    if function.sig.generics.lifetimes().next().is_none() {
        fill_in_lifetimes(&mut function);
    }

    let name = &function.sig.ident;
    let plugin = format_ident!("{}", upper_camel(&name.to_string()), span = name.span());
    let doc = format!(
        "The plugin that `#[sluice_sdk::filter]` made of [`{name}`]: what the component exports, \
         and what a native test runs (`{plugin}::init(config)?.process(batch)`)."
    );
    let each = match record {
        Record::Bytes => quote!(::sluice_sdk::__private::each_bytes),
        Record::View => quote!(::sluice_sdk::__private::each_view),
        Record::Document => quote!(::sluice_sdk::__private::each_document),
    };
    let (field, init, call) = match settings {
        None => (
            quote!(),
            quote! {
                config.parse::<::sluice_sdk::__private::NoSettings>()?;
                ::core::result::Result::Ok(#plugin {})
            },
            quote!(#name(record)),
        ),
        Some(Settings { ty, mutable }) => {
            let parse = quote_spanned!(ty.span()=> config.parse::<#ty>()?);
            let borrow = if mutable {
                quote!(&mut self.settings)
            } else {
                quote!(&self.settings)
            };
            (
                quote!(settings: #ty,),
                quote!(::core::result::Result::Ok(#plugin { settings: #parse })),
                quote!(#name(record, #borrow)),
            )
        }
    };

    Ok(quote! {
        #function

        #[doc = #doc]
        pub struct #plugin {
            #field
        }

        impl ::sluice_sdk::Plugin for #plugin {
            fn init(
                config: ::sluice_sdk::Config,
            ) -> ::core::result::Result<Self, ::std::string::String> {
                #init
            }

            fn process(
                &mut self,
                batch: ::std::vec::Vec<::std::vec::Vec<u8>>,
            ) -> ::std::vec::Vec<::sluice_sdk::Outcome> {
                #each(batch, |record| #call)
            }
        }

        ::sluice_sdk::export_plugin!(#plugin);
    })
}

fn record_kind(argument: &FnArg) -> syn::Result<Record> {
    let FnArg::Typed(typed) = argument else {
        return Err(syn::Error::new(argument.span(), USAGE));
    };
    if let Type::Reference(reference) = &*typed.ty
        && reference.mutability.is_none()
        && let Type::Slice(slice) = &*reference.elem
        && last_ident(&slice.elem).is_some_and(|ident| ident == "u8")
    {
        return Ok(Record::Bytes);
    }
    if let Type::Reference(reference) = &*typed.ty
        && let Some(ident) = last_ident(&reference.elem)
    {
        match (ident.to_string().as_str(), reference.mutability.is_some()) {
            ("View", false) => return Ok(Record::View),
            ("Value", true) => return Ok(Record::Document),
            _ => {}
        }
    }
    Err(syn::Error::new(typed.ty.span(), USAGE))
}

fn settings_kind(argument: &FnArg) -> syn::Result<Settings> {
    if let FnArg::Typed(typed) = argument
        && let Type::Reference(reference) = &*typed.ty
    {
        return Ok(Settings {
            ty: (*reference.elem).clone(),
            mutable: reference.mutability.is_some(),
        });
    }
    Err(syn::Error::new(argument.span(), USAGE))
}

fn last_ident(ty: &Type) -> Option<&Ident> {
    match ty {
        Type::Path(TypePath { path, .. }) => path.segments.last().map(|segment| &segment.ident),
        _ => None,
    }
}

/// `&View` becomes `&'doc View<'doc, 'doc>`, `Value` and `Verdict` become
/// `Value<'doc>` and `Verdict<'doc>`, `&[u8]` becomes `&'doc [u8]`, and the
/// function gets `<'doc>`: the verdict may borrow strings from the record
/// (through the view, whose accessors borrow from it too), which elision
/// cannot say.
fn fill_in_lifetimes(function: &mut ItemFn) {
    struct Fill {
        doc: Lifetime,
    }

    impl VisitMut for Fill {
        fn visit_type_reference_mut(&mut self, reference: &mut syn::TypeReference) {
            let borrows_record = match &*reference.elem {
                Type::Slice(_) => true,
                elem => last_ident(elem).is_some_and(|ident| ident == "View"),
            };
            if reference.lifetime.is_none() && borrows_record {
                reference.lifetime = Some(self.doc.clone());
            }
            syn::visit_mut::visit_type_reference_mut(self, reference);
        }

        fn visit_type_path_mut(&mut self, path: &mut TypePath) {
            if let Some(segment) = path.path.segments.last_mut()
                && segment.arguments.is_none()
            {
                let doc = &self.doc;
                let arguments: Option<syn::AngleBracketedGenericArguments> =
                    match segment.ident.to_string().as_str() {
                        "View" => Some(syn::parse_quote!(<#doc, #doc>)),
                        "Value" | "Verdict" => Some(syn::parse_quote!(<#doc>)),
                        _ => None,
                    };
                if let Some(arguments) = arguments {
                    segment.arguments = syn::PathArguments::AngleBracketed(arguments);
                }
            }
            syn::visit_mut::visit_type_path_mut(self, path);
        }
    }

    let doc = Lifetime::new("'doc", Span::call_site());
    let mut fill = Fill { doc: doc.clone() };
    for input in function.sig.inputs.iter_mut().take(1) {
        fill.visit_fn_arg_mut(input);
    }
    fill.visit_return_type_mut(&mut function.sig.output);
    function
        .sig
        .generics
        .params
        .insert(0, syn::parse_quote!(#doc));
}

/// `keep_english` -> `KeepEnglish`.
fn upper_camel(snake: &str) -> String {
    snake
        .split('_')
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}
