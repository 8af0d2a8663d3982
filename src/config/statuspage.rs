//! `[statuspage]`: Atlassian Statuspage, which Warroom can drive instead of (or besides) its
//! own status page: the page, the API key (from the environment or a file, never the file
//! itself), the API's URL, and which Statuspage component each `[[services]]` entry is.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::alerts::invalid;
use super::{ConfigError, SecretSource, key_line, quoted};

/// Statuspage's API.
pub const STATUSPAGE_API_URL: &str = "https://api.statuspage.io/v1";

/// The `[statuspage]` table.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatuspageConfig {
    /// The page's id (`gytm4qzbx9t6`), from its API info.
    pub page_id: String,
    /// An API key of the page's organization, from the environment or a file.
    pub api_key: SecretSource,
    /// The API's URL; Statuspage's own when left out.
    #[serde(default)]
    pub url: Option<String>,
    /// Service name → Statuspage component id. Services without one are not shown there.
    #[serde(default)]
    pub components: BTreeMap<String, String>,
}

/// Statuspage's ids: letters and digits.
fn an_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_alphanumeric())
}

impl StatuspageConfig {
    /// The API's base URL, without a trailing `/`.
    pub fn base_url(&self) -> String {
        self.url
            .as_deref()
            .unwrap_or(STATUSPAGE_API_URL)
            .trim_end_matches('/')
            .to_owned()
    }

    /// Checks the ids and that each component names a service `[[services]]` lists (any
    /// name, when it lists none).
    pub(super) fn check(&self, services: &[super::ServiceConfig]) -> Result<(), ConfigError> {
        if !an_id(&self.page_id) {
            return Err(invalid(
                "statuspage.page_id",
                "expected the page's id, letters and digits (its API info shows it)",
            ));
        }
        if let Some(url) = &self.url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(invalid("statuspage.url", "expected an http(s) URL"));
        }
        for (service, component) in &self.components {
            let key = format!("statuspage.components.{service}");
            if !services.is_empty() && !services.iter().any(|s| s.name == *service) {
                return Err(invalid(&key, "[[services]] lists no service of that name"));
            }
            if !an_id(component) {
                return Err(invalid(&key, "expected a component id, letters and digits"));
            }
        }
        Ok(())
    }

    pub(super) fn describe(&self, out: &mut String) {
        out.push_str("\n[statuspage]\n");
        key_line(out, "page_id", Some(quoted(&self.page_id)));
        key_line(out, "api_key", Some(self.api_key.to_string()));
        key_line(out, "url", Some(quoted(&self.base_url())));
        let components: Vec<String> = self
            .components
            .iter()
            .map(|(s, c)| format!("{s} = {}", quoted(c)))
            .collect();
        key_line(
            out,
            "components",
            Some(format!("{{ {} }}", components.join(", "))),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::testing::{file, no_env};

    fn error_of(text: &str) -> String {
        let (_dir, path) = file(text);
        Config::load_from(Some(&path), no_env())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn components_name_listed_services_and_ids_are_checked() {
        let good = "[[services]]\nname = \"checkout\"\n[statuspage]\npage_id = \"gytm4qzbx9t6\"\n\
                    api_key = { env = \"STATUSPAGE_API_KEY\" }\ncomponents = { checkout = \"8kbf7d35c070\" }\n";
        let (_dir, path) = file(good);
        let config = Config::load_from(Some(&path), no_env()).unwrap();
        let statuspage = config.statuspage.unwrap();
        assert_eq!(statuspage.base_url(), "https://api.statuspage.io/v1");
        assert_eq!(statuspage.components["checkout"], "8kbf7d35c070");
        assert!(
            error_of(&good.replace("components = { checkout", "components = { cheackout"))
                .contains("statuspage.components.cheackout")
        );
        assert!(error_of(&good.replace("gytm4qzbx9t6", "a page")).contains("statuspage.page_id"));
        assert!(error_of(&good.replace("api_key = ", "apikey = ")).contains("apikey"));
    }
}
