//! The deployment kit as a machine reads it: the systemd unit passes `systemd-analyze verify`
//! with nothing to say, and names every hardening setting the kit promises.

use std::path::Path;
use std::process::Command;

const UNIT: &str = "deploy/systemd/warroom.service";

/// What `systemd-analyze verify` says of `unit` (with the binary under test as ExecStart), and
/// whether it passed; `None` when systemd-analyze is not installed and the test may skip.
fn verify(unit: &str) -> Option<(bool, String)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = unit.replace("/usr/local/bin/warroom", env!("CARGO_BIN_EXE_warroom"));
    let path = dir.path().join("warroom.service");
    std::fs::write(&path, text).expect("unit written");
    let out = match Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("WARROOM_TEST_REQUIRE_SYSTEMD").is_none(),
                "systemd-analyze is not installed"
            );
            return None;
        }
        Err(e) => panic!("systemd-analyze: {e}"),
    };
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), said))
}

#[test]
fn the_systemd_unit_verifies_cleanly_and_is_hardened() {
    let unit = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(UNIT))
        .expect("the unit");
    for setting in [
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "StateDirectory=warroom",
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=\n",
        "ExecStartPre=/usr/local/bin/warroom migrate",
        "ExecStart=/usr/local/bin/warroom serve",
    ] {
        assert!(unit.contains(setting), "{UNIT} lacks {setting:?}");
    }
    let Some((ok, said)) = verify(&unit) else {
        println!("skipped: systemd-analyze is not installed");
        return;
    };
    assert!(
        ok && said.trim().is_empty(),
        "systemd-analyze verify: {said}"
    );
    // The check can fail: a misspelt key is reported.
    let broken = unit.replace("NoNewPrivileges=yes", "NoNewPrivilegs=yes");
    let (_, said) = verify(&broken).expect("systemd-analyze ran before");
    assert!(said.contains("Unknown key 'NoNewPrivilegs'"), "{said}");
}
