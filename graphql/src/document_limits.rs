//! Limits on a GraphQL document checked on its syntax tree, before the engine validates or
//! runs it: the size of the document with every fragment spread expanded (computed once per
//! fragment, so 22 fragments each spreading the next twice cost 22 steps here, not 2^21),
//! aliases, root fields, nesting, and the nesting of introspection's list fields
//! (graphql-js `MaxIntrospectionDepthRule`: `fields`, `inputFields`, `interfaces`,
//! `possibleTypes` at most 3 deep). The cost of what a field does (lists, database reads)
//! is charged by the engine's complexity, on a document this check has bounded.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql::{Positioned, ServerError};

/// Nesting past which a document is refused without further work (parser stacks and ours).
const MAX_NESTING: u32 = 64;
/// graphql-js `MaxIntrospectionDepthRule`.
const MAX_INTROSPECTION_LISTS: u32 = 3;
const INTROSPECTION_LISTS: [&str; 4] = ["fields", "inputFields", "interfaces", "possibleTypes"];

/// The configured caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentLimits {
    /// Fields of the document with every fragment spread expanded.
    pub max_fields: u64,
    /// Aliased fields, expanded likewise.
    pub max_aliases: u64,
    /// Fields at the root of the operation.
    pub max_root_fields: u64,
    /// Field nesting of user operations.
    pub max_depth: u32,
    /// Field nesting of introspection-only operations (graphql-js `getIntrospectionQuery()`
    /// nests 12 deep).
    pub max_introspection_depth: u32,
}

/// What a refusal is, as the `code` of its error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    TooManyFields,
    TooManyAliases,
    TooManyRootFields,
    TooDeep,
    IntrospectionTooDeep,
    FragmentCycle,
    UnknownFragment,
    UnknownOperation,
}

impl Refused {
    pub fn code(self) -> &'static str {
        match self {
            Refused::TooManyFields => "QUERY_TOO_LARGE",
            Refused::TooManyAliases => "TOO_MANY_ALIASES",
            Refused::TooManyRootFields => "TOO_MANY_ROOT_FIELDS",
            Refused::TooDeep | Refused::IntrospectionTooDeep => "QUERY_TOO_DEEP",
            Refused::FragmentCycle | Refused::UnknownFragment | Refused::UnknownOperation => {
                "GRAPHQL_VALIDATION_FAILED"
            }
        }
    }

    /// The error a client sees, with its `code`.
    pub fn error(self, detail: String) -> ServerError {
        let mut e = ServerError::new(detail, None);
        let mut ext = async_graphql::ErrorExtensionValues::default();
        ext.set("code", self.code());
        e.extensions = Some(ext);
        e
    }
}

/// What a passing document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    pub operation: OperationType,
    /// Every root field is `__schema`, `__type` or `__typename` (and one is not the last).
    pub introspection: bool,
}

/// The measures of a selection set with its fragments expanded.
#[derive(Debug, Clone, Copy, Default)]
struct Shape {
    fields: u64,
    aliases: u64,
    /// Fields at this level (through fragments and inline fragments).
    top: u64,
    depth: u32,
    introspection_lists: u32,
}

impl Shape {
    fn add(&mut self, o: Shape) {
        self.fields = self.fields.saturating_add(o.fields);
        self.aliases = self.aliases.saturating_add(o.aliases);
        self.top = self.top.saturating_add(o.top);
        self.depth = self.depth.max(o.depth);
        self.introspection_lists = self.introspection_lists.max(o.introspection_lists);
    }

    /// The larger of each measure (the worst definition of a document).
    fn max_with(&mut self, o: Shape) {
        self.fields = self.fields.max(o.fields);
        self.aliases = self.aliases.max(o.aliases);
        self.top = self.top.max(o.top);
        self.depth = self.depth.max(o.depth);
        self.introspection_lists = self.introspection_lists.max(o.introspection_lists);
    }
}

struct Walker<'a> {
    doc: &'a ExecutableDocument,
    done: HashMap<&'a str, Shape>,
    open: Vec<&'a str>,
}

impl<'a> Walker<'a> {
    fn set(&mut self, set: &'a SelectionSet, nesting: u32) -> Result<Shape, (Refused, String)> {
        if nesting > MAX_NESTING {
            return Err((
                Refused::TooDeep,
                format!("the document nests more than {MAX_NESTING} selection sets"),
            ));
        }
        let mut shape = Shape::default();
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    let inner = self.set(&f.selection_set.node, nesting + 1)?;
                    let list = INTROSPECTION_LISTS.contains(&f.name.node.as_str());
                    shape.add(Shape {
                        fields: inner.fields.saturating_add(1),
                        aliases: inner.aliases.saturating_add(u64::from(f.alias.is_some())),
                        top: 1,
                        depth: inner.depth + 1,
                        introspection_lists: inner.introspection_lists + u32::from(list),
                    });
                }
                Selection::InlineFragment(i) => {
                    let inner = self.set(&i.node.selection_set.node, nesting + 1)?;
                    shape.add(inner);
                }
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.as_str();
                    let inner = self.fragment(name, nesting)?;
                    shape.add(inner);
                }
            }
        }
        Ok(shape)
    }

    fn fragment(&mut self, name: &'a str, nesting: u32) -> Result<Shape, (Refused, String)> {
        if let Some(s) = self.done.get(name) {
            return Ok(*s);
        }
        if self.open.contains(&name) {
            return Err((
                Refused::FragmentCycle,
                format!("fragment {name} spreads itself"),
            ));
        }
        let Some((key, def)) = self.doc.fragments.get_key_value(name) else {
            return Err((Refused::UnknownFragment, format!("unknown fragment {name}")));
        };
        self.open.push(key.as_str());
        let s = self.set(&def.node.selection_set.node, nesting + 1)?;
        self.open.pop();
        self.done.insert(key.as_str(), s);
        Ok(s)
    }
}

fn selected<'a>(
    doc: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a Positioned<OperationDefinition>> {
    match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(n)) => ops.get(n),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        _ => None,
    }
}

/// The names of the operation's root fields, each fragment visited once (only which names
/// occur matters, not how often).
fn root_names<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    out: &mut HashSet<&'a str>,
    seen: &mut HashSet<&'a str>,
) {
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                out.insert(f.node.name.node.as_str());
            }
            Selection::InlineFragment(i) => root_names(doc, &i.node.selection_set.node, out, seen),
            Selection::FragmentSpread(s) => {
                let Some((name, def)) = doc.fragments.get_key_value(&s.node.fragment_name.node)
                else {
                    continue;
                };
                if seen.insert(name.as_str()) {
                    root_names(doc, &def.node.selection_set.node, out, seen);
                }
            }
        }
    }
}

impl DocumentLimits {
    /// Checks every operation and fragment of `doc` (the engine validates all of them) and
    /// says what the selected operation is. `introspection_enabled`: whether an
    /// introspection-only document may nest to `max_introspection_depth`.
    pub fn check(
        &self,
        doc: &ExecutableDocument,
        operation_name: Option<&str>,
        introspection_enabled: bool,
    ) -> Result<Checked, ServerError> {
        let op = selected(doc, operation_name).ok_or_else(|| {
            Refused::UnknownOperation.error(match operation_name {
                Some(n) => format!("unknown operation named {n:?}"),
                None => "operationName is required for a document with several operations".into(),
            })
        })?;
        let mut names = HashSet::new();
        root_names(
            doc,
            &op.node.selection_set.node,
            &mut names,
            &mut HashSet::new(),
        );
        let introspection = introspection_enabled
            && names.iter().any(|n| *n == "__schema" || *n == "__type")
            && names
                .iter()
                .all(|n| matches!(*n, "__schema" | "__type" | "__typename"));
        let mut w = Walker {
            doc,
            done: HashMap::new(),
            open: Vec::new(),
        };
        let mut worst = Shape::default();
        let mut root_fields = 0;
        // Each definition is measured on its own (the engine visits each).
        let refuse = |(r, m): (Refused, String)| r.error(m);
        for (_, o) in doc.operations.iter() {
            let s = w.set(&o.node.selection_set.node, 0).map_err(refuse)?;
            root_fields = std::cmp::max(root_fields, s.top);
            worst.max_with(s);
        }
        for name in doc.fragments.keys() {
            let s = w.fragment(name.as_str(), 0).map_err(refuse)?;
            worst.max_with(s);
        }
        let max_depth = if introspection {
            self.max_introspection_depth
        } else {
            self.max_depth
        };
        let checks = [
            (worst.fields > self.max_fields, Refused::TooManyFields, format!("the document selects {} fields with its fragments expanded; the limit is {}", worst.fields, self.max_fields)),
            (worst.aliases > self.max_aliases, Refused::TooManyAliases, format!("the document has {} aliases; the limit is {}", worst.aliases, self.max_aliases)),
            (root_fields > self.max_root_fields, Refused::TooManyRootFields, format!("an operation selects {root_fields} root fields; the limit is {}", self.max_root_fields)),
            (worst.depth > max_depth, Refused::TooDeep, format!("the document nests {} fields deep; the limit is {max_depth}", worst.depth)),
            (worst.introspection_lists > MAX_INTROSPECTION_LISTS, Refused::IntrospectionTooDeep, format!("introspection lists (fields, inputFields, interfaces, possibleTypes) nest {} deep; the limit is {MAX_INTROSPECTION_LISTS}", worst.introspection_lists)),
        ];
        for (over, why, msg) in checks {
            if over {
                return Err(why.error(msg));
            }
        }
        Ok(Checked {
            operation: op.node.ty,
            introspection,
        })
    }
}

/// The document of issue 24 item 1: `n` fragments on `QueryRoot`, each spreading the next
/// twice, the last selecting `leaf` (2^(n-1) leaves once expanded, in about 45 bytes per
/// fragment). For tests and benchmarks.
pub fn fragment_bomb(n: usize, leaf: &str) -> String {
    let n = n.max(1);
    let mut q = String::from("query { ...F0 }");
    for i in 0..n - 1 {
        q.push_str(&format!(
            " fragment F{i} on QueryRoot {{ ...F{} ...F{} }}",
            i + 1,
            i + 1
        ));
    }
    q.push_str(&format!(" fragment F{} on QueryRoot {{ {leaf} }}", n - 1));
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    const LIMITS: DocumentLimits = DocumentLimits {
        max_fields: 1_000,
        max_aliases: 30,
        max_root_fields: 10,
        max_depth: 10,
        max_introspection_depth: 15,
    };

    fn check(q: &str) -> Result<Checked, String> {
        let doc = parse_query(q).map_err(|e| e.to_string())?;
        LIMITS.check(&doc, None, true).map_err(|e| {
            format!(
                "{}: {}",
                e.extensions
                    .as_ref()
                    .and_then(|x| x.get("code").cloned())
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                e.message
            )
        })
    }

    #[test]
    fn the_fragment_bomb_is_measured_not_expanded() {
        let e = check(&fragment_bomb(22, "__typename")).expect_err("refused");
        assert!(
            e.contains("QUERY_TOO_LARGE") && e.contains("2097152 fields"),
            "{e}"
        );
        // A chain of a thousand fragments is refused for its nesting, without recursing
        // through it.
        let e = check(&fragment_bomb(1000, "__typename")).expect_err("refused");
        assert!(e.contains("QUERY_TOO_DEEP"), "{e}");
        // A document nested 20,000 deep is refused, not a stack overflow.
        let deep = format!("{{ {}x{} }}", "a { ".repeat(20_000), " }".repeat(20_000));
        assert!(check(&deep).is_err());
    }

    #[test]
    fn aliases_root_fields_depth_and_cycles_are_capped() {
        let aliases: String = (0..31).map(|i| format!("a{i}: __typename ")).collect();
        assert!(check(&format!("{{ {aliases} }}"))
            .expect_err("x")
            .contains("TOO_MANY_ALIASES"));
        let roots: String = (0..11).map(|_| "__typename ".to_string()).collect();
        assert!(check(&format!("{{ {roots} }}"))
            .expect_err("x")
            .contains("TOO_MANY_ROOT_FIELDS"));
        let deep = format!("{{ {}x{} }}", "a { ".repeat(11), " }".repeat(11));
        assert!(check(&deep).expect_err("x").contains("QUERY_TOO_DEEP"));
        let cycle = "{ ...A } fragment A on Q { ...B } fragment B on Q { ...A }";
        assert!(check(cycle).expect_err("x").contains("spreads itself"));
        assert!(check("{ ...Nope }")
            .expect_err("x")
            .contains("unknown fragment"));
        let unused_bomb = format!(
            "{{ __typename }} {}",
            &fragment_bomb(22, "__typename")[15..]
        );
        assert!(check(&unused_bomb)
            .expect_err("x")
            .contains("QUERY_TOO_LARGE"));
    }

    #[test]
    fn introspection_is_allowed_deeper_but_its_lists_only_three_deep() {
        let q = format!(
            "{{ __type(name: \"X\") {{ {}name{} }} }}",
            "ofType { ".repeat(11),
            " }".repeat(11)
        );
        let c = check(&q).expect("introspection may nest 12");
        assert!(c.introspection);
        let mixed = format!(
            "{{ providers {{ x }} __type(name: \"X\") {{ {}name{} }} }}",
            "ofType { ".repeat(11),
            " }".repeat(11)
        );
        assert!(check(&mixed).expect_err("x").contains("QUERY_TOO_DEEP"));
        let lists = "{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }";
        assert!(check(lists).expect_err("x").contains("introspection lists"));
    }
}
