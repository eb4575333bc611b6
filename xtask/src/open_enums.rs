//! Makes every generated string enum open.
//!
//! typify's enums are closed: one value Wix adds tomorrow fails the whole response. This pass
//! rewrites each unit-only string enum so that an unknown value decodes into
//! `Unrecognized(String)` and re-encodes unchanged:
//! - the enum loses `Copy`, gains `#[non_exhaustive]` and a last `#[serde(untagged)]` variant;
//! - its `Display`, `FromStr` and `TryFrom` impls are replaced by `as_str`, `Display`, an
//!   infallible `FromStr` and `From<&str>`/`From<String>` (`TryFrom` then comes from the blanket
//!   impl, so the builders that take `TryInto<Enum>` keep compiling).

use proc_macro2::TokenStream;
use quote::quote;
use syn::visit_mut::VisitMut;
use syn::{Attribute, Fields, Ident, Item, ItemEnum, ItemMod, LitStr, Meta, Token};

/// Name of the catch-all variant that keeps values this SDK version does not know.
pub(crate) const UNRECOGNIZED: &str = "Unrecognized";

pub(crate) fn open_all_enums(mut file: syn::File) -> syn::File {
    OpenEnums.visit_file_mut(&mut file);
    file
}

struct OpenEnums;

impl VisitMut for OpenEnums {
    fn visit_item_mod_mut(&mut self, module: &mut ItemMod) {
        if let Some((_, items)) = &mut module.content {
            open_enums_in(items);
        }
        syn::visit_mut::visit_item_mod_mut(self, module);
    }
}

/// A unit-only enum and the wire string of each variant.
struct StringEnum {
    ident: Ident,
    variants: Vec<(Ident, String)>,
}

fn open_enums_in(items: &mut Vec<Item>) {
    let mut opened = Vec::new();
    for item in items.iter_mut() {
        if let Item::Enum(item_enum) = item
            && let Some(string_enum) = as_string_enum(item_enum)
        {
            open_enum(item_enum);
            opened.push(string_enum);
        }
    }
    if opened.is_empty() {
        return;
    }
    items.retain(|item| !is_replaced_impl(item, &opened));
    for string_enum in &opened {
        let impls: syn::File =
            syn::parse2(open_enum_impls(string_enum)).expect("the open-enum impls are valid Rust");
        items.extend(impls.items);
    }
}

fn as_string_enum(item_enum: &ItemEnum) -> Option<StringEnum> {
    let variants = item_enum
        .variants
        .iter()
        .map(|variant| match variant.fields {
            Fields::Unit => serde_rename(&variant.attrs).map(|wire| (variant.ident.clone(), wire)),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    (!variants.is_empty()).then(|| StringEnum {
        ident: item_enum.ident.clone(),
        variants,
    })
}

/// The `x` of `#[serde(rename = "x")]`.
fn serde_rename(attrs: &[Attribute]) -> Option<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .find_map(|attr| {
            let mut rename = None;
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    rename = Some(meta.value()?.parse::<LitStr>()?.value());
                }
                Ok(())
            });
            rename
        })
}

fn open_enum(item_enum: &mut ItemEnum) {
    for attr in &mut item_enum.attrs {
        if attr.path().is_ident("derive")
            && let Meta::List(list) = &attr.meta
        {
            let kept: Vec<syn::Path> = list
                .parse_args_with(
                    syn::punctuated::Punctuated::<syn::Path, Token![,]>::parse_terminated,
                )
                .map(|paths| paths.into_iter().filter(|p| !p.is_ident("Copy")).collect())
                .unwrap_or_default();
            *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
        }
    }
    item_enum.attrs.push(syn::parse_quote!(#[non_exhaustive]));
    let unrecognized = Ident::new(UNRECOGNIZED, proc_macro2::Span::call_site());
    item_enum.variants.push(syn::parse_quote! {
        /// A value this version of the SDK does not know yet; it re-encodes unchanged.
        #[serde(untagged)]
        #unrecognized(::std::string::String)
    });
}

/// The typify impls this pass replaces: `Display`, `FromStr` and `TryFrom<..>` of an opened enum.
fn is_replaced_impl(item: &Item, opened: &[StringEnum]) -> bool {
    let Item::Impl(item_impl) = item else {
        return false;
    };
    let Some((trait_path, _)) = &item_impl.trait_ else {
        return false;
    };
    let Some(last) = trait_path.segments.last() else {
        return false;
    };
    let replaced_trait = ["Display", "FromStr", "TryFrom"]
        .iter()
        .any(|t| last.ident == t);
    let syn::Type::Path(self_ty) = item_impl.self_ty.as_ref() else {
        return false;
    };
    replaced_trait && opened.iter().any(|e| self_ty.path.is_ident(&e.ident))
}

fn open_enum_impls(string_enum: &StringEnum) -> TokenStream {
    let ident = &string_enum.ident;
    let unrecognized = Ident::new(UNRECOGNIZED, proc_macro2::Span::call_site());
    let idents: Vec<&Ident> = string_enum.variants.iter().map(|(i, _)| i).collect();
    let wires: Vec<&String> = string_enum.variants.iter().map(|(_, w)| w).collect();
    quote! {
        impl #ident {
            /// Every value this version of the SDK knows, in spec order.
            pub const KNOWN: &'static [Self] = &[#(Self::#idents),*];

            /// The wire string of this value.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#idents => #wires,)*
                    Self::#unrecognized(value) => value.as_str(),
                }
            }

            /// Whether this value is one the SDK does not know (a value Wix added later).
            pub fn is_unrecognized(&self) -> bool {
                matches!(self, Self::#unrecognized(_))
            }
        }
        impl ::std::fmt::Display for #ident {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::std::str::FromStr for #ident {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }
        impl ::std::convert::From<&str> for #ident {
            fn from(value: &str) -> Self {
                match value {
                    #(#wires => Self::#idents,)*
                    other => Self::#unrecognized(other.to_owned()),
                }
            }
        }
        impl ::std::convert::From<::std::string::String> for #ident {
            fn from(value: ::std::string::String) -> Self {
                Self::from(value.as_str())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transformed(src: TokenStream) -> String {
        let file: syn::File = syn::parse2(src).unwrap();
        prettyplease::unparse(&open_all_enums(file))
    }

    #[test]
    fn string_enums_gain_an_unrecognized_variant_and_lose_copy() {
        let out = transformed(quote! {
            pub mod types {
                #[derive(Clone, Copy, Debug, Serialize, Deserialize)]
                pub enum Status {
                    #[serde(rename = "ACTIVE")]
                    Active,
                }
                impl ::std::fmt::Display for Status { fn fmt(&self) {} }
                impl ::std::str::FromStr for Status { type Err = (); }
                impl ::std::convert::TryFrom<&str> for Status { type Error = (); }
                impl ::std::convert::From<&Self> for Status { fn from(v: &Status) -> Self { v.clone() } }
            }
        });
        assert!(
            out.contains("#[derive(Clone, Debug, Serialize, Deserialize)]"),
            "{out}"
        );
        assert!(out.contains("#[non_exhaustive]"), "{out}");
        assert!(out.contains("#[serde(untagged)]"), "{out}");
        assert!(out.contains("Unrecognized(::std::string::String)"), "{out}");
        assert!(out.contains("\"ACTIVE\" => Self::Active"), "{out}");
        assert!(
            !out.contains("TryFrom<&str>"),
            "typify's TryFrom must go: {out}"
        );
        assert!(
            out.contains("From<&Self> for Status"),
            "unrelated impls stay: {out}"
        );
        assert_eq!(
            out.matches("impl ::std::fmt::Display for Status").count(),
            1,
            "{out}"
        );
    }

    #[test]
    fn enums_with_data_are_left_alone() {
        let src = quote! {
            pub mod types {
                #[derive(Clone, Copy)]
                pub enum Either { A(u8), #[serde(rename = "b")] B }
            }
        };
        let out = transformed(src);
        assert!(!out.contains("Unrecognized"), "{out}");
        assert!(out.contains("Copy"), "{out}");
    }
}
