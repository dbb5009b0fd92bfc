//! Configuration: one TOML file plus `COMPUTESTREAM_*` environment variables.
//!
//! An environment variable overrides the file: `COMPUTESTREAM_KAFKA__BROKERS=host:9092` sets
//! `kafka.brokers` (a double underscore descends into a table; names are lower-cased).
//! Values that read as integers or booleans are typed as such. The merged document is then
//! deserialized into the service's config type and validated with [`Validate`], so a
//! mistake stops the process at start with a message naming the key.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::RuntimeError;

/// The prefix of every environment variable the configuration reads. Every such variable is
/// configuration (an unknown key is an error), except [`CONFIG_FILE_VAR`]. Scripts and tests
/// use the `CS_` prefix for their own settings.
pub const ENV_PREFIX: &str = "COMPUTESTREAM_";

/// Names the configuration file itself (read by the CLI), not a key in it.
pub const CONFIG_FILE_VAR: &str = "COMPUTESTREAM_CONFIG";

/// Checks a deserialized configuration for values that are well-typed but wrong.
pub trait Validate {
    fn validate(&self) -> Result<(), String>;
}

/// Loads `path` (if given) and the process environment into `T`.
pub fn load<T: DeserializeOwned + Validate>(path: Option<&Path>) -> Result<T, RuntimeError> {
    load_from(path, std::env::vars())
}

/// [`load`] with an explicit environment (for tests).
pub fn load_from<T: DeserializeOwned + Validate>(
    path: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<T, RuntimeError> {
    let mut doc = match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| RuntimeError::ConfigFile {
                path: p.display().to_string(),
                reason: e.to_string(),
            })?;
            toml::from_str::<toml::Table>(&text).map_err(|e| RuntimeError::ConfigFile {
                path: p.display().to_string(),
                reason: e.to_string(),
            })?
        }
        None => toml::Table::new(),
    };
    let mut vars: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX) && k != CONFIG_FILE_VAR)
        .collect();
    vars.sort();
    for (key, value) in vars {
        let path: Vec<String> = key[ENV_PREFIX.len()..]
            .split("__")
            .map(str::to_ascii_lowercase)
            .collect();
        if path.iter().any(String::is_empty) {
            return Err(RuntimeError::Config(format!(
                "malformed variable name {key}"
            )));
        }
        set_path(&mut doc, &path, typed(&value)).map_err(RuntimeError::Config)?;
    }
    let cfg: T = toml::Value::Table(doc)
        .try_into()
        .map_err(|e: toml::de::Error| RuntimeError::Config(e.to_string()))?;
    cfg.validate().map_err(RuntimeError::Config)?;
    Ok(cfg)
}

fn typed(value: &str) -> toml::Value {
    if let Ok(i) = value.parse::<i64>() {
        if !(value.starts_with('0') && value.len() > 1) {
            return toml::Value::Integer(i);
        }
    }
    match value {
        "true" => toml::Value::Boolean(true),
        "false" => toml::Value::Boolean(false),
        _ => toml::Value::String(value.to_owned()),
    }
}

fn set_path(doc: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("empty variable name")?;
    let mut table = doc;
    for p in parents {
        let entry = table
            .entry(p.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = entry
            .as_table_mut()
            .ok_or_else(|| format!("{p} is a value, not a table"))?;
    }
    table.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Cfg {
        chain_id: u8,
        kafka: Kafka,
        password: crate::Secret<String>,
    }

    #[derive(Debug, Deserialize)]
    struct Kafka {
        brokers: String,
        #[serde(default)]
        partitions: i32,
    }

    impl Validate for Cfg {
        fn validate(&self) -> Result<(), String> {
            if self.kafka.brokers.is_empty() {
                return Err("kafka.brokers must not be empty".into());
            }
            Ok(())
        }
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn file_then_env_overrides() {
        let dir = std::env::temp_dir().join(format!("cs-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp");
        let file = dir.join("c.toml");
        std::fs::write(
            &file,
            "chain_id = 4\npassword = 'x'\n[kafka]\nbrokers = 'a:1'\n",
        )
        .expect("write");
        let cfg: Cfg = load_from(
            Some(&file),
            env(&[
                ("COMPUTESTREAM_KAFKA__BROKERS", "b:2"),
                ("COMPUTESTREAM_KAFKA__PARTITIONS", "6"),
                ("OTHER", "1"),
            ]),
        )
        .expect("load");
        assert_eq!(cfg.chain_id, 4);
        assert_eq!(cfg.kafka.brokers, "b:2");
        assert_eq!(cfg.kafka.partitions, 6);
        assert_eq!(format!("{:?}", cfg.password), "<redacted>");
    }

    #[test]
    fn errors_name_the_problem() {
        let err = load_from::<Cfg>(None, env(&[("COMPUTESTREAM_CHAIN_ID", "300")]))
            .expect_err("chain id out of range");
        assert!(err.to_string().contains("invalid configuration"), "{err}");
        let err = load_from::<Cfg>(
            None,
            env(&[
                ("COMPUTESTREAM_CHAIN_ID", "4"),
                ("COMPUTESTREAM_PASSWORD", "p"),
                ("COMPUTESTREAM_KAFKA__BROKERS", ""),
            ]),
        )
        .expect_err("empty brokers");
        assert!(err.to_string().contains("kafka.brokers"), "{err}");
        let err = load_from::<Cfg>(Some(Path::new("/nonexistent/c.toml")), env(&[]))
            .expect_err("missing file");
        assert!(err.to_string().contains("/nonexistent/c.toml"), "{err}");
    }
}
