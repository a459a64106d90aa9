//! Test helpers shared by the integration tests: where the `.mod` files are.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Every `.mod` file under `dir`, recursively.
pub fn mod_files(dir: &Path, out: &mut Vec<PathBuf>) {
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

/// The `.mod` files of the installed `neuron` wheel's `share` folder, sorted; None (with a note)
/// when python3 with `neuron` is unavailable or the folder holds none.
pub fn wheel_mod_files() -> Option<Vec<PathBuf>> {
    let out = Command::new("python3").args(["-c", "import neuron,os;print(os.path.dirname(neuron.__file__))"]).output();
    let dir = match out {
        Ok(o) if o.status.success() => PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()),
        _ => {
            eprintln!("note: python3 with `neuron` is unavailable; skipping the wheel .mod files test");
            return None;
        }
    };
    // The wheel keeps `share` under `.data/share` next to the package (or under the package itself).
    let mut files = Vec::new();
    for share in [dir.join(".data/share"), dir.join("share")] {
        mod_files(&share, &mut files);
    }
    if files.is_empty() {
        eprintln!("note: no .mod files found under {}; skipping", dir.display());
        return None;
    }
    files.sort();
    Some(files)
}
