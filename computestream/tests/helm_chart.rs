//! The Helm chart (`helm/computestream`), checked offline: `helm lint --strict`, `helm
//! template` under several value sets, every rendered manifest validated against the
//! Kubernetes schemas (`kubernetes-validate --strict`), the configuration file the chart
//! renders accepted by the binary (`computestream config`) with the variables the pods set,
//! and every subcommand the pods run known to the binary. `scripts/stack.sh up` installs helm
//! and kubernetes-validate.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_computestream");

fn chart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../helm/computestream")
}

fn tool(name: &str) -> Command {
    for dir in [
        std::env::var("CS_TOOLS_ROOT")
            .map(|r| format!("{r}/bin"))
            .ok(),
        Some("/opt/computestream/tools/bin".to_owned()),
    ]
    .into_iter()
    .flatten()
    {
        let p = Path::new(&dir).join(name);
        if p.exists() {
            return Command::new(p);
        }
    }
    Command::new(name)
}

fn run(mut c: Command, what: &str) -> String {
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e} (install it with scripts/stack.sh up)"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The value sets the chart is rendered with: defaults with dev secrets, a sharded settler
/// with the ServiceMonitor, and a gateway-only install.
const VALUE_SETS: &[&[&str]] = &[
    &[
        "postgres.url=postgres://cs:pw@db:5432/computestream",
        "keys.settlerPrivateKey=0101010101010101010101010101010101010101010101010101010101010101",
        "keys.executorPrivateKey=0202020202020202020202020202020202020202020202020202020202020202",
    ],
    &[
        "postgres.existingSecret=db",
        "keys.existingSecret=keys",
        "settler.shards=3",
        "serviceMonitor.enabled=true",
        "grafanaDashboard.enabled=true",
        "projector.replicas=3",
        "gateway.allowlist={ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb,3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d}",
        "gateway.corsOrigins={https://app.example}",
    ],
    &[
        "postgres.existingSecret=db",
        "indexer.enabled=false",
        "projector.enabled=false",
        "settler.enabled=false",
        "executor.enabled=false",
        "hooks.migrate=false",
        "hooks.topics=false",
        "gateway.replicas=1",
    ],
];

fn render(set: &[&str]) -> String {
    let mut c = tool("helm");
    c.arg("template").arg("cs").arg(chart());
    for s in set {
        c.arg("--set").arg(s);
    }
    run(c, "helm template")
}

/// The `config.toml` block of the rendered ConfigMap.
fn config_file(manifests: &str) -> String {
    let start = manifests
        .find("config.toml: |")
        .expect("the ConfigMap carries config.toml");
    manifests[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with("    "))
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_chart_lints_renders_and_validates_offline() {
    let mut lint = tool("helm");
    lint.arg("lint").arg("--strict").arg(chart());
    for s in VALUE_SETS[0] {
        lint.arg("--set").arg(s);
    }
    run(lint, "helm lint");

    let dir = std::env::temp_dir().join(format!("cs-helm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    for (i, set) in VALUE_SETS.iter().enumerate() {
        let manifests = render(set);
        let file = dir.join(format!("rendered-{i}.yaml"));
        std::fs::write(&file, &manifests).expect("write");
        let mut validate = tool("kubernetes-validate");
        validate.arg("--strict").arg("--quiet").arg(&file);
        run(validate, "kubernetes-validate");

        // The rendered configuration, with the variables the pods add, is valid.
        let config = dir.join(format!("config-{i}.toml"));
        std::fs::write(&config, config_file(&manifests)).expect("write");
        let mut check = Command::new(BIN);
        check
            .env_clear()
            .arg("--config")
            .arg(&config)
            .arg("config")
            .env("COMPUTESTREAM_DATABASE__URL", "postgres://cs:pw@db/cs")
            .env("COMPUTESTREAM_SETTLER__SHARD_INDEX", "0")
            .env("COMPUTESTREAM_SETTLER__PRIVATE_KEY", "01".repeat(32))
            .env("COMPUTESTREAM_EXECUTOR__PRIVATE_KEY", "02".repeat(32));
        let printed = run(check, "computestream config");
        assert!(!printed.contains("pw@db"), "secrets are never printed");

        // Every subcommand a pod runs exists.
        for line in manifests.lines() {
            let line = line.trim();
            let sub = line
                .strip_prefix("args: [\"")
                .and_then(|r| r.strip_suffix("\"]"))
                .or_else(|| (line == "- execute").then_some("execute"));
            if let Some(sub) = sub {
                let mut help = Command::new(BIN);
                help.arg(sub).arg("--help");
                run(help, &format!("computestream {sub} --help"));
            }
        }
    }
    let sharded = render(VALUE_SETS[1]);
    for shard in 0..3 {
        assert!(
            sharded.contains(&format!("name: cs-computestream-settler-{shard}\n")),
            "one Deployment per settler shard"
        );
    }
    assert!(sharded.contains("kind: ServiceMonitor"));
    assert!(
        sharded.contains("computestream.json: |-"),
        "the dashboard ConfigMap"
    );
    assert!(sharded.contains("kind: DaemonSet"));
    // CORS: the configured origins, else the web origin, never any origin by default.
    let default_config = config_file(&render(VALUE_SETS[0]));
    assert!(
        !default_config.contains("\"*\""),
        "no wildcard origin by default:\n{default_config}"
    );
    let mut set = VALUE_SETS[0].to_vec();
    set.push("gateway.webOrigin=https://app.example");
    let with_web = config_file(&render(&set));
    assert_eq!(
        with_web
            .matches("cors_origins = [\"https://app.example\"]")
            .count(),
        2,
        "the gateway and the executors allow the web origin:\n{with_web}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every metric the Grafana dashboard queries is one the services export (its name appears
/// in a `metrics::` call in the sources): the dashboard cannot drift from the code.
#[test]
fn the_dashboard_queries_only_exported_metrics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(chart().join("dashboards/computestream.json")).expect("read"),
    )
    .expect("the dashboard is JSON");
    let mut sources = String::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
            let p = entry.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p.is_dir() && !name.starts_with('.') && name != "target" {
                stack.push(p);
            } else if name.ends_with(".rs") && p.to_string_lossy().contains("/src/") {
                sources.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
            }
        }
    }
    let panels = dashboard["panels"].as_array().expect("panels");
    let wanted = [
        "indexer_head_lag",
        "projector_lag",
        "unsettled_octas",
        "settlement_lag",
        "gateway_subscribers",
        "executor_jobs",
    ];
    let mut exprs = Vec::new();
    for p in panels {
        for t in p["targets"].as_array().expect("targets") {
            exprs.push(t["expr"].as_str().expect("expr").to_owned());
        }
    }
    let all = exprs.join("\n");
    for w in wanted {
        assert!(all.contains(w), "the dashboard shows {w}");
    }
    let mut checked = 0;
    for expr in &exprs {
        let mut rest = expr.as_str();
        while let Some(i) = rest.find("computestream_") {
            let name: String = rest[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(
                sources.contains(&format!("\"{name}\"")),
                "the dashboard queries {name}, which no service exports"
            );
            checked += 1;
            rest = &rest[i + name.len()..];
        }
    }
    assert!(checked >= 15, "{checked} metric references checked");
}
