//! Layers import downward only. Reads the source as text: for each top-level module of src/
//! (a file or folder directly under it), the other top-level modules it names as
//! `crate::NAME` — in `use` lines, grouped `use crate::{…}` and paths in code — and checks
//! that the graph has no cycle and that the edges the layering forbids are absent.
//!
//! Only `crate::` paths count: `super::super::…` climbing out of a module is not followed
//! (the code does not do it; `crate::` says the same thing more plainly).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module → the other top-level modules it references.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source with comments, string and character literals blanked out, so a doc comment or
/// a message that mentions `crate::x` is not read as a reference.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && matches!(next, Some('"') | Some('#')) && !ident_before(&chars, i) {
            // A raw string: r"…", r#"…"#, …
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (0..hashes).all(|h| chars.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{…}'), or else a lifetime ('a), kept as is.
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The top-level modules `code` names after `crate::`, grouped imports included.
fn crate_references(code: &str) -> BTreeSet<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut found = BTreeSet::new();
    let needle: Vec<char> = "crate".chars().collect();
    let mut i = 0;
    while i + needle.len() <= chars.len() {
        let at_word = chars[i..i + needle.len()] == needle[..]
            && !(i > 0 && (is_ident(chars[i - 1]) || chars[i - 1] == '$'))
            && !chars.get(i + needle.len()).copied().is_some_and(is_ident);
        if !at_word {
            i += 1;
            continue;
        }
        let mut j = skip_space(&chars, i + needle.len());
        if chars.get(j) != Some(&':') || chars.get(j + 1) != Some(&':') {
            i += 1;
            continue;
        }
        j = skip_space(&chars, j + 2);
        if chars.get(j) == Some(&'{') {
            // `crate::{a, b::c, d::{e, f}}`: the names at the first level of the braces.
            let mut depth = 0;
            let mut expect_name = true;
            while j < chars.len() {
                match chars[j] {
                    '{' => {
                        depth += 1;
                        expect_name = depth == 1;
                        j += 1;
                    }
                    '}' => {
                        depth -= 1;
                        j += 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        expect_name = true;
                        j += 1;
                    }
                    c if is_ident(c) && depth == 1 && expect_name => {
                        let (name, end) = ident_at(&chars, j);
                        found.insert(name);
                        expect_name = false;
                        j = end;
                    }
                    _ => j += 1,
                }
            }
        } else {
            let (name, _) = ident_at(&chars, j);
            if !name.is_empty() {
                found.insert(name);
            }
        }
        i = j.max(i + 1);
    }
    found
}

fn skip_space(chars: &[char], mut i: usize) -> usize {
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    i
}

fn ident_at(chars: &[char], start: usize) -> (String, usize) {
    let mut end = start;
    while chars.get(end).copied().is_some_and(is_ident) {
        end += 1;
    }
    (chars[start..end].iter().collect(), end)
}

/// The module graph of src/: every top-level module (lib.rs and main.rs are the crate roots,
/// not modules) with the others it references.
fn module_graph() -> Graph {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let module_of = |path: &Path| -> Option<String> {
        let first = path.strip_prefix(&root).ok()?.components().next()?;
        let name = first.as_os_str().to_str()?;
        let name = name.strip_suffix(".rs").unwrap_or(name);
        (name != "lib" && name != "main").then(|| name.to_string())
    };
    let mut graph = Graph::new();
    for file in &files {
        if let Some(module) = module_of(file) {
            graph.entry(module).or_default();
        }
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for file in &files {
        let Some(module) = module_of(file) else {
            continue;
        };
        let code = code_only(&std::fs::read_to_string(file).unwrap());
        let references = crate_references(&code)
            .into_iter()
            .filter(|name| *name != module && modules.contains(name));
        graph.get_mut(&module).unwrap().extend(references);
    }
    graph
}

/// A cycle in the graph, as the modules round it (the first repeated at the end), if any.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Unseen,
        OnPath,
        Done,
    }
    fn visit(
        node: &str,
        graph: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_string(), Mark::OnPath);
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next.as_str()).copied().unwrap_or(Mark::Unseen) {
                Mark::OnPath => {
                    let start = path.iter().position(|m| m == next).unwrap();
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Mark::Unseen => {
                    if let Some(cycle) = visit(next, graph, marks, path) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if marks.get(node).copied().unwrap_or(Mark::Unseen) == Mark::Unseen {
            if let Some(cycle) = visit(node, graph, &mut marks, &mut Vec::new()) {
                return Some(cycle);
            }
        }
    }
    None
}

fn imports<'a>(graph: &'a Graph, from: &str) -> &'a BTreeSet<String> {
    graph
        .get(from)
        .unwrap_or_else(|| panic!("there is no top-level module {from} in src/"))
}

fn shown(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(m, to)| {
            format!(
                "  {m} -> {}",
                to.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_scan_reads_grouped_imports_and_paths_and_skips_comments_and_strings() {
    let code = code_only(
        r##"
        //! See [`crate::commented`].
        use crate::{grouped_a, grouped_b::{Inner, other}, grouped_c::Item};
        use crate :: spaced::Thing;
        /* crate::blocked /* nested */ crate::still_blocked */
        let s = "crate::quoted";
        let r = r#"crate::raw"#;
        let c = '"'; let l: &'static str = "";
        fn f<'a>(x: &'a str) { crate::path::call(x); my_crate::not_ours(); }
        "##,
    );
    let found = crate_references(&code);
    let expected: BTreeSet<String> = ["grouped_a", "grouped_b", "grouped_c", "spaced", "path"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn the_cycle_finder_names_the_modules_round_a_cycle() {
    let graph: Graph = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(m, to)| (m.to_string(), to.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(
        find_cycle(&graph).unwrap(),
        ["a", "b", "c", "a"].map(String::from)
    );
}

#[test]
fn top_level_modules_import_each_other_in_one_direction_only() {
    let graph = module_graph();
    // The scan sees real imports (it would pass vacuously if it saw none).
    assert!(
        imports(&graph, "cli").contains("services"),
        "the scan found no import of services in cli:\n{}",
        shown(&graph)
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "top-level modules import each other round a circle: {}\n{}",
            cycle.join(" -> "),
            shown(&graph)
        );
    }
}

#[test]
fn the_store_imports_no_sender_and_the_scheduler_no_discord_adapter() {
    let graph = module_graph();
    // The store keeps webhook destinations as domain types; the senders are above it.
    for sender in ["webhook", "delivery"] {
        assert!(
            !imports(&graph, "store").contains(sender),
            "store imports {sender}:\n{}",
            shown(&graph)
        );
    }
    // The scheduler sends through delivery, never through the bot's slash-command modules.
    assert!(
        !imports(&graph, "schedule").contains("discord"),
        "schedule imports discord:\n{}",
        shown(&graph)
    );
    // The domain is the bottom layer.
    assert!(
        imports(&graph, "domain").is_empty(),
        "domain imports {:?}",
        imports(&graph, "domain")
    );
}
