//! Splits every multi-line `#[doc = "..."]` into one attribute per line.
//!
//! prettyplease prints a multi-line doc as a `/** */` block; rustfmt then re-indents the block's
//! lines with the code around it, and rustdoc reads those indented lines as an indented code
//! block, that is, a doctest made of prose. One `///` line per doc line keeps the text as written.

use proc_macro2::{Delimiter, Group, Punct, Spacing, TokenStream, TokenTree};
use quote::quote;

pub(crate) fn split_multiline_docs(tokens: TokenStream) -> TokenStream {
    let mut out: Vec<TokenTree> = Vec::new();
    let mut iter = tokens.into_iter().peekable();
    while let Some(token) = iter.next() {
        match token {
            TokenTree::Punct(hash) if hash.as_char() == '#' => {
                let bang = match iter.peek() {
                    Some(TokenTree::Punct(p)) if p.as_char() == '!' => iter.next(),
                    _ => None,
                };
                let lines = match iter.peek() {
                    Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Bracket => {
                        doc_lines(group)
                    }
                    _ => None,
                };
                match lines {
                    Some(lines) => {
                        iter.next();
                        for line in lines {
                            out.push(TokenTree::Punct(Punct::new('#', Spacing::Alone)));
                            out.extend(bang.clone());
                            out.push(TokenTree::Group(Group::new(
                                Delimiter::Bracket,
                                quote!(doc = #line),
                            )));
                        }
                    }
                    None => {
                        out.push(TokenTree::Punct(hash));
                        out.extend(bang);
                    }
                }
            }
            TokenTree::Group(group) => {
                let mut rebuilt =
                    Group::new(group.delimiter(), split_multiline_docs(group.stream()));
                rebuilt.set_span(group.span());
                out.push(TokenTree::Group(rebuilt));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// The lines of a `doc = "..."` attribute body, when it has more than one.
fn doc_lines(group: &Group) -> Option<Vec<String>> {
    let meta: syn::MetaNameValue = syn::parse2(group.stream()).ok()?;
    if !meta.path.is_ident("doc") {
        return None;
    }
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(text),
        ..
    }) = meta.value
    else {
        return None;
    };
    let text = text.value();
    text.contains('\n')
        .then(|| text.split('\n').map(str::to_owned).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_docs_become_one_attribute_per_line_everywhere() {
        let input = quote! {
            #![doc = "inner\nsecond"]
            #[doc = "Title\n\n    indented prose"]
            pub fn f() { #[doc = "one line"] struct S; }
        };
        let out = split_multiline_docs(input).to_string();
        assert!(
            out.contains(r#"# ! [doc = "inner"] # ! [doc = "second"]"#),
            "{out}"
        );
        assert!(
            out.contains(r#"# [doc = "Title"] # [doc = ""] # [doc = "    indented prose"]"#),
            "{out}"
        );
        assert!(out.contains(r#"# [doc = "one line"]"#), "{out}");
    }
}
