//! Every `.mod` file shipped in `tests/data/` and, when the `neuron` wheel is installed, every `.mod` file under its
//! `share` folder, parses without error.

use std::path::{Path, PathBuf};
use std::process::Command;

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

fn mod_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            mod_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "mod") {
            out.push(p);
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
    let out = Command::new("python3").args(["-c", "import neuron,os;print(os.path.dirname(neuron.__file__))"]).output();
    let dir = match out {
        Ok(o) if o.status.success() => PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()),
        _ => {
            eprintln!("note: python3 with `neuron` is unavailable; skipping the wheel .mod files test");
            return;
        }
    };
    // The wheel keeps `share` under `.data/share` next to the package (or under the package itself).
    let mut files = Vec::new();
    for share in [dir.join(".data/share"), dir.join("share")] {
        mod_files(&share, &mut files);
    }
    if files.is_empty() {
        eprintln!("note: no .mod files found under {}; skipping", dir.display());
        return;
    }
    files.sort();
    for f in &files {
        parse_file(f);
    }
    eprintln!("parsed {} .mod files from the neuron wheel", files.len());
    assert!(files.len() >= 18, "expected the 18 .mod files NEURON 9.0.2 ships, found {}", files.len());
}
