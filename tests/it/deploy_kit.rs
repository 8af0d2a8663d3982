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

/// The Dockerfile's instructions as Docker reads them (Red Hat's dockerfile-parse, in the
/// tests' Python venv): `(INSTRUCTION, value)`, comments left out. `None` when there is no
/// venv and the test may skip.
fn dockerfile_instructions() -> Option<Vec<(String, String)>> {
    let Ok(python) = std::env::var("WARROOM_TEST_PYTHON") else {
        assert!(
            std::env::var_os("WARROOM_TEST_REQUIRE_SLACK_SDK").is_none(),
            "WARROOM_TEST_PYTHON is not set"
        );
        return None;
    };
    let script = "import json,sys\nfrom dockerfile_parse import DockerfileParser\n\
        d = DockerfileParser(path=sys.argv[1])\n\
        print(json.dumps([[i['instruction'], i['value']] for i in d.structure if i['instruction'] != 'COMMENT']))\n";
    let out = Command::new(python)
        .args(["-c", script])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile"))
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("JSON"))
}

#[test]
fn the_dockerfile_builds_in_two_stages_and_runs_unprivileged_with_a_healthcheck() {
    let Some(all) = dockerfile_instructions() else {
        println!("skipped: no Python venv with dockerfile-parse (scripts/python-venv.sh)");
        return;
    };
    let froms: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, (i, _))| i == "FROM")
        .map(|(n, _)| n)
        .collect();
    assert_eq!(froms.len(), 2, "a builder and a runtime stage: {all:?}");
    assert!(
        all[froms[0]].1.ends_with(" AS builder"),
        "{:?}",
        all[froms[0]]
    );
    assert!(
        all[froms[1]].1.contains("-slim"),
        "a small runtime: {:?}",
        all[froms[1]]
    );
    let runtime = &all[froms[1]..];
    let value = |name: &str| -> Vec<&str> {
        runtime
            .iter()
            .filter(|(i, _)| i == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let user = value("USER");
    assert_eq!(user.len(), 1, "{runtime:?}");
    assert!(
        !["root", "0", "0:0"].contains(&user[0]) && !user[0].starts_with("root"),
        "runs as {}",
        user[0]
    );
    assert!(
        value("COPY")
            .iter()
            .any(|c| c.starts_with("--from=builder ")),
        "{runtime:?}"
    );
    let health = value("HEALTHCHECK");
    assert!(
        health.len() == 1 && health[0].contains("http://127.0.0.1:8080/healthz"),
        "{health:?}"
    );
    // The health check's curl is installed in the runtime stage.
    assert!(
        value("RUN").iter().any(|r| r.contains(" curl")),
        "{runtime:?}"
    );
    assert_eq!(value("EXPOSE"), ["8080"]);
    assert_eq!(value("ENTRYPOINT"), [r#"["/usr/local/bin/warroom"]"#]);
    assert_eq!(value("CMD"), [r#"["serve", "--listen", "0.0.0.0:8080"]"#]);
    // No secret is baked into the image.
    for (i, v) in &all {
        if i == "ENV" || i == "ARG" {
            let upper = v.to_uppercase();
            for word in ["TOKEN", "SECRET", "PASSWORD"] {
                assert!(!upper.contains(word), "{i} {v}");
            }
        }
    }
    // The build context leaves out the build output and the repository's history.
    let ignore =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".dockerignore"))
            .expect(".dockerignore");
    for left_out in ["target/", ".git/"] {
        assert!(ignore.lines().any(|l| l.trim() == left_out), "{left_out}");
    }
}

#[test]
fn the_compose_file_starts_warroom_after_a_healthy_postgresql() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("deploy/compose");
    let text = std::fs::read_to_string(dir.join("compose.yaml")).expect("compose.yaml");
    let compose: serde_json::Value = serde_yaml_ng::from_str(&text).expect("compose.yaml is YAML");
    let services = &compose["services"];
    let postgres = &services["postgres"];
    let warroom = &services["warroom"];
    assert!(
        postgres["image"]
            .as_str()
            .is_some_and(|i| i.contains("postgres:"))
    );
    assert!(postgres["healthcheck"]["test"].is_array(), "{postgres}");
    assert_eq!(
        warroom["depends_on"]["postgres"]["condition"],
        "service_healthy"
    );
    // The build context is the repository's root, where the Dockerfile is.
    let context = dir.join(
        warroom["build"]["context"]
            .as_str()
            .expect("a build context"),
    );
    assert!(context.join("Dockerfile").exists(), "{}", context.display());
    // Every bind-mounted source that ships with the repository exists.
    for volume in warroom["volumes"].as_array().expect("volumes") {
        let source = volume
            .as_str()
            .expect("short syntax")
            .split(':')
            .next()
            .unwrap_or_default();
        if source.starts_with("../") {
            assert!(dir.join(source).exists(), "{source}");
        }
    }
    assert_eq!(warroom["ports"][0], "8080:8080");
    // Secrets come from an env file kept out of the repository, never the compose file.
    assert_eq!(warroom["env_file"], "warroom.env");
    for line in text
        .lines()
        .filter(|l| l.contains("xoxb-") || l.contains("PASSWORD"))
    {
        assert!(
            line.trim_start().starts_with('#'),
            "a secret outside a comment: {line}"
        );
    }
    assert!(warroom.get("environment").is_none(), "{warroom}");
    // The configuration it mounts names the mounted runbooks and holds no secret.
    let config = std::fs::read_to_string(dir.join("warroom.toml")).expect("warroom.toml");
    assert!(
        config.contains(r#"runbook_dirs = ["/etc/warroom/runbooks"]"#),
        "{config}"
    );
    assert!(
        !config.contains("xoxb-") && !config.contains("token ="),
        "{config}"
    );
}
