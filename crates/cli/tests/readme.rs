//! The README as written: its command blocks, pasted in order into one shell against the demo
//! started as the README says, must all work, so the README cannot drift from the program.
//!
//! Every ```` ```sh ```` block of README.md is preceded by a marker line:
//! `<!-- readme-test: run -->` (this test runs it) or `<!-- readme-test: skip: why -->` (a
//! block that starts a long-running process, needs another service, or is the test suite
//! itself; the reason is written beside it). An unmarked block fails the test. The run blocks
//! are concatenated in order into one `bash -euo pipefail` script, after the `export` line the
//! demo prints, with `cargo run --release --` and `deconflict` both meaning the binary under
//! test. Needs `curl` and `jq` (installed by `scripts/test.sh`; skipped with a line on stderr
//! when missing, a failure under `CI=true`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_deconflict");

/// A command block of the README and whether it is run.
#[derive(Debug)]
struct Block {
    line: usize,
    run: bool,
    text: String,
}

/// The README's `sh` blocks with their markers; an error names every unmarked block.
fn blocks(readme: &str) -> Result<Vec<Block>, String> {
    let lines: Vec<&str> = readme.lines().collect();
    let (mut blocks, mut unmarked) = (Vec::new(), Vec::new());
    let mut index = 0;
    while index < lines.len() {
        if lines[index].trim() != "```sh" {
            index += 1;
            continue;
        }
        let marker = lines[..index]
            .iter()
            .rev()
            .find(|line| !line.trim().is_empty())
            .map(|line| line.trim())
            .unwrap_or("");
        let run = match marker {
            "<!-- readme-test: run -->" => Some(true),
            skip if skip.starts_with("<!-- readme-test: skip: ") && skip.ends_with("-->") => {
                Some(false)
            }
            _ => None,
        };
        let end = index
            + 1
            + lines[index + 1..]
                .iter()
                .position(|line| line.trim() == "```")
                .ok_or(format!("the block at line {} is not closed", index + 1))?;
        match run {
            Some(run) => blocks.push(Block {
                line: index + 1,
                run,
                text: lines[index + 1..end].join("\n"),
            }),
            None => unmarked.push(index + 1),
        }
        index = end + 1;
    }
    match unmarked.is_empty() {
        true => Ok(blocks),
        false => Err(format!(
            "README.md blocks at lines {unmarked:?} have no `<!-- readme-test: run -->` or \
             `<!-- readme-test: skip: why -->` line before them"
        )),
    }
}

fn has(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

#[test]
fn every_readme_block_is_marked_run_or_skip_with_a_reason() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let blocks = blocks(&readme).unwrap_or_else(|error| panic!("{error}"));
    assert!(
        blocks.iter().filter(|block| block.run).count() >= 4,
        "{blocks:?}"
    );
}

#[test]
fn the_readmes_commands_work_pasted_in_order_against_the_demo() {
    if !(has("curl") && has("jq")) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: the README test needs curl and jq (scripts/test.sh installs them)"
        );
        eprintln!("skipped: the README test needs curl and jq");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let blocks = blocks(&readme).unwrap_or_else(|error| panic!("{error}"));

    // The demo, as the README's first command starts it (on a free port, no simulated
    // traffic so the run does not depend on timing).
    let mut demo = Command::new(BIN)
        .args(["demo", "--listen", "127.0.0.1:0", "--no-traffic"])
        .current_dir(&root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let export = loop {
        let line = lines
            .next()
            .expect("the demo printed its export line")
            .unwrap();
        if line.trim_start().starts_with("export DECONFLICT_SERVER=") {
            break line.trim().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});

    // A user's shell: `deconflict` on the PATH (after `cargo install`), and `cargo run
    // --release --` running the same binary, in a scratch directory with the repository's
    // scenarios (the files the commands write stay there).
    let work = tempfile::tempdir().unwrap();
    let bin_dir = work.path().join("bin");
    std::fs::create_dir(&bin_dir).unwrap();
    std::os::unix::fs::symlink(BIN, bin_dir.join("deconflict")).unwrap();
    std::os::unix::fs::symlink(root.join("scenarios"), work.path().join("scenarios")).unwrap();
    let mut script = String::from(
        "set -euo pipefail\n\
         cargo() {\n\
           case \"$1 $2\" in\n\
             'run --release') shift 2; [ \"${1:-}\" = -- ] && shift; deconflict \"$@\" ;;\n\
             'install --path') echo \"(cargo install: deconflict is already on the PATH)\" ;;\n\
             *) echo \"the README test does not run: cargo $*\" >&2; return 1 ;;\n\
           esac\n\
         }\n",
    );
    script.push_str(&export);
    script.push('\n');
    for block in blocks.iter().filter(|block| block.run) {
        script.push_str(&format!("echo '== README.md line {}'\n", block.line));
        script.push_str(&block.text);
        script.push('\n');
    }
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .args(["-c", &script])
        .current_dir(work.path())
        .env("PATH", path)
        .output()
        .unwrap();
    let _ = demo.kill();
    let _ = demo.wait();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the README's commands failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    assert!(!stderr.contains("error"), "an error on stderr:\n{stderr}");
}
