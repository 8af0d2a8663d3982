//! `[[services]]`: the services incidents name (`services checkout,payments`), each a
//! component on the status page, with the people invited when an incident names it and the
//! runbooks that fit it.

use serde::Deserialize;

use super::ConfigError;
use crate::domain::{Service, UserId, service_name};

/// One `[[services]]` table.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// Its name in commands: lowercase letters, digits, `-` and `_`.
    pub name: String,
    /// Its name on the status page; the name when absent.
    #[serde(default)]
    pub title: Option<String>,
    /// Who is invited into the war room of an incident that names it.
    #[serde(default, deserialize_with = "super::fields::user_ids")]
    pub owners: Vec<UserId>,
    /// The ids of the runbooks that fit it.
    #[serde(default)]
    pub runbooks: Vec<String>,
}

pub(super) fn invalid(key: String, problem: impl Into<String>) -> ConfigError {
    ConfigError::InvalidValue {
        key,
        origin: "in the configuration".to_owned(),
        problem: problem.into(),
    }
}

/// The services of the file, checked: names are service names, each once; titles are one
/// line.
pub fn services(configs: &[ServiceConfig]) -> Result<Vec<Service>, ConfigError> {
    let mut out: Vec<Service> = Vec::new();
    for (i, config) in configs.iter().enumerate() {
        let key = |field: &str| format!("services[{i}].{field}");
        let name = service_name(&config.name).map_err(|problem| invalid(key("name"), problem))?;
        if name != config.name.trim() {
            return Err(invalid(
                key("name"),
                format!("write it as it is typed in commands: \"{name}\""),
            ));
        }
        if out.iter().any(|s| s.name == name) {
            return Err(invalid(
                key("name"),
                format!("another service is also named '{name}'"),
            ));
        }
        let title = match config.title.as_deref().map(str::trim) {
            None | Some("") => name.clone(),
            Some(t) if t.chars().count() > 80 || t.chars().any(char::is_control) => {
                return Err(invalid(
                    key("title"),
                    "a title is one line of at most 80 characters",
                ));
            }
            Some(t) => t.to_owned(),
        };
        out.push(Service {
            name,
            title,
            owners: config.owners.clone(),
            runbooks: config.runbooks.clone(),
        });
    }
    Ok(out)
}

/// Appends the `[[services]]` tables to `config show`'s text.
pub(super) fn describe_services(configs: &[ServiceConfig], out: &mut String) {
    for service in configs {
        out.push_str("\n[[services]]\n");
        super::key_line(out, "name", Some(super::quoted(&service.name)));
        super::key_line(out, "title", service.title.as_deref().map(super::quoted));
        let owners: Vec<String> = service
            .owners
            .iter()
            .map(|u| super::quoted(u.as_str()))
            .collect();
        super::key_line(out, "owners", Some(format!("[{}]", owners.join(", "))));
        let runbooks: Vec<String> = service.runbooks.iter().map(|r| super::quoted(r)).collect();
        super::key_line(out, "runbooks", Some(format!("[{}]", runbooks.join(", "))));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::load;

    #[test]
    fn services_are_read_with_their_owners_and_checked() {
        let config = load(
            "[[services]]\nname = \"checkout\"\ntitle = \"Checkout\"\nowners = [\"bob\"]\nrunbooks = [\"checkout-5xx\"]\n[[services]]\nname = \"payments\"\n",
        )
        .unwrap();
        let services = super::services(&config.services).unwrap();
        assert_eq!(services.len(), 2);
        assert_eq!(services[0].title, "Checkout");
        assert_eq!(services[0].owners[0].as_str(), "bob");
        assert_eq!(services[1].title, "payments");
        for (text, key) in [
            ("[[services]]\nname = \"Check Out\"\n", "services[0].name"),
            (
                "[[services]]\nname = \"a\"\n[[services]]\nname = \"a\"\n",
                "services[1].name",
            ),
        ] {
            let err = load(text).unwrap_err().to_string();
            assert!(err.contains(key), "{err}");
        }
        let err = load("[[services]]\nname = \"a\"\nowner = [\"bob\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`owner` is not a known key"), "{err}");
    }
}
