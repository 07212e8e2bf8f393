//! The modules of `rampart-core` import each other without a cycle.
//!
//! A cycle (service → ports → service) lets a change anywhere ripple
//! everywhere and hides which module owns a record. This test reads the
//! sources, collects every `crate::<module>` a top-level module names
//! (comments excluded), and fails naming a cycle if one exists.

#![allow(clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`session.rs` and
/// `access/path.rs` alike), or `None` for `lib.rs`.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).expect("under src");
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.trim_end_matches(".rs");
    (name != "lib").then(|| name.to_owned())
}

/// The source without `//` comments (doc links name modules they do not
/// depend on).
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The modules `text` names as `crate::m` or inside `crate::{m, n::x}`.
fn imported(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(group.len(), |(i, _)| i);
            let mut depth = 0;
            let mut start = 0;
            let inner = &group[..end];
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(identifier(inner[start..i].trim()));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            found.insert(identifier(inner[start..].trim()));
        } else {
            found.insert(identifier(rest));
        }
    }
    found.retain(|m| !m.is_empty());
    found
}

/// The import graph of the crate's top-level modules.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = module_of(&src, &file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("readable source");
        let edges = graph.entry(module.clone()).or_default();
        for target in imported(&without_comments(&text)) {
            if target != module {
                edges.insert(target);
            }
        }
    }
    graph
}

/// One cycle in `graph`, as the path of modules around it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = path.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_owned(), Mark::Open);
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut marks, &mut Vec::new()) {
            return Some(cycle);
        }
    }
    None
}

#[test]
fn the_parser_sees_plain_grouped_and_nested_imports() {
    let text = "use crate::audit::AuditTrail;\nuse crate::{model::{User, UserId}, ports::Clock};\nlet x = crate::clock::now();";
    let found: Vec<_> = imported(text).into_iter().collect();
    assert_eq!(found, ["audit", "clock", "model", "ports"]);
    assert!(imported(&without_comments("/// see [`crate::session`]")).is_empty());
}

#[test]
fn a_cycle_is_found_and_named() {
    let mut graph = BTreeMap::new();
    graph.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    graph.insert("b".to_owned(), BTreeSet::from(["c".to_owned()]));
    graph.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(find_cycle(&graph).expect("a cycle"), ["a", "b", "c", "a"]);
    graph.get_mut("c").expect("c").clear();
    assert!(find_cycle(&graph).is_none());
}

#[test]
fn the_core_modules_import_each_other_without_a_cycle() {
    let graph = graph();
    assert!(graph.len() > 20, "the sources were not found: {graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "rampart-core has an import cycle: {}\n(records that cross modules belong in `model`, outside-world traits in `ports`; neither imports a service)",
            cycle.join(" → ")
        );
    }
}

#[test]
fn ports_and_model_are_leaves_of_the_services() {
    let graph = graph();
    let leaves = ["model", "ports", "clock"];
    for leaf in leaves {
        let edges = graph.get(leaf).cloned().unwrap_or_default();
        let services: Vec<_> = edges
            .iter()
            .filter(|m| !leaves.contains(&m.as_str()))
            .collect();
        assert!(
            services.is_empty(),
            "`{leaf}` imports service modules {services:?}"
        );
    }
}
