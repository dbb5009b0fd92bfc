//! `computestream config` prints the whole configuration with every secret redacted: the
//! keys and seeds (`settler.private_key`, `executor.private_key`, `buyer.key`,
//! `devnet.root_seed`), the S3 secret key (`executor.s3.secret_access_key`) and the database URL (it carries the password), whether they come
//! from the file or from `COMPUTESTREAM_*` variables.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_computestream");

fn seed(byte: &str) -> String {
    format!("0x{}", byte.repeat(32))
}

#[test]
fn config_redacts_every_secret_from_variables_and_from_the_file() {
    let secrets = [
        ("COMPUTESTREAM_SETTLER__PRIVATE_KEY", seed("a1")),
        ("COMPUTESTREAM_EXECUTOR__PRIVATE_KEY", seed("b2")),
        ("COMPUTESTREAM_BUYER__KEY", seed("c3")),
        ("COMPUTESTREAM_DEVNET__ROOT_SEED", seed("d4")),
        (
            "COMPUTESTREAM_EXECUTOR__S3__SECRET_ACCESS_KEY",
            "s3-secret-key-f6f6f6f6".to_owned(),
        ),
        (
            "COMPUTESTREAM_DATABASE__URL",
            "postgres://cs:pa55w0rd-secret@127.0.0.1:5432/cs".to_owned(),
        ),
    ];
    let mut c = Command::new(BIN);
    c.arg("config");
    for (k, v) in &secrets {
        c.env(k, v);
    }
    let out = c.output().expect("run computestream config");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("configuration valid"), "{text}");
    for (k, v) in &secrets {
        let digits = v.trim_start_matches("0x");
        assert!(!text.contains(digits), "{k} printed in clear:\n{text}");
    }
    assert!(
        !text.contains("pa55w0rd"),
        "the database password printed:\n{text}"
    );
    assert!(text.contains("<redacted>"), "{text}");

    // The devnet's default seed too (the faucet's key), and from a file.
    let dir = std::env::temp_dir().join(format!("cs-config-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("cs.toml");
    std::fs::write(&file, format!("[devnet]\nroot_seed = \"{}\"\n", seed("e5"))).expect("write");
    let out = Command::new(BIN)
        .args(["--config", &file.display().to_string(), "config"])
        .output()
        .expect("run computestream config");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    assert!(
        !text.contains(&"e5".repeat(32)),
        "root_seed from the file printed:\n{text}"
    );
    let out = Command::new(BIN).arg("config").output().expect("config");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        !text.contains(&"0d".repeat(32)),
        "the default root_seed printed:\n{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
