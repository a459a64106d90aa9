//! Every `.mod` file shipped in `tests/data/` and, when the `neuron` wheel is installed, every `.mod` file under its
//! `share` folder, parses without error.

mod common;

use common::mod_files;
use std::path::Path;

fn parse_file(path: &Path) -> rheobase_nmodl::ast::Program {
    let src = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path.display().to_string();
    match rheobase_nmodl::parse(&src, Some(&name)) {
        Ok(p) => p,
        Err(errs) => {
            let text: Vec<String> = errs.iter().map(|e| e.render()).collect();
            panic!("{} failed to parse:\n{}", name, text.join("\n"));
        }
    }
}

#[test]
fn bundled_test_data_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut files = Vec::new();
    mod_files(&dir, &mut files);
    assert_eq!(files.len(), 5, "expected the five bundled .mod files");
    for f in &files {
        let p = parse_file(f);
        assert!(!p.blocks.is_empty());
    }
}

#[test]
fn neuron_wheel_share_mod_files_parse() {
    let Some(files) = common::wheel_mod_files() else { return };
    for f in &files {
        parse_file(f);
    }
    eprintln!("parsed {} .mod files from the neuron wheel", files.len());
    assert!(files.len() >= 18, "expected the 18 .mod files NEURON 9.0.2 ships, found {}", files.len());
}
