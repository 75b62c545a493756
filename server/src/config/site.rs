//! The dashboard's site: where its built assets are and what they are called, and the address
//! to serve on. `Leptos.toml` (in the working directory, or the file `MEMORY_LEPTOS_CONFIG`
//! names) holds them for a deployment, read as Leptos reads such a file
//! (`leptos::config::get_config_from_file`, which also applies `LEPTOS_*` variables); the
//! `MEMORY_*` settings override it; without the file, the defaults are the layout
//! scripts/build.sh produces.

use std::{net::SocketAddr, path::PathBuf};

use leptos::config::LeptosOptions;

use super::ConfigError;

/// What the dashboard serves its assets as.
#[derive(Debug, Clone)]
pub struct Site {
    /// Directory holding the built assets (`pkg/`), as scripts/build.sh lays it out.
    pub root: PathBuf,
    /// The assets' directory under `root`.
    pub pkg_dir: String,
    /// The WASM bundle's and stylesheet's name.
    pub output_name: String,
    /// `site-addr` of the file, if one was read: the address when `MEMORY_HOST` and
    /// `MEMORY_PORT` do not say.
    pub addr: Option<SocketAddr>,
    /// The file read, if any.
    pub file: Option<PathBuf>,
}

const FILE: &str = "Leptos.toml";

pub(super) fn site(get: &dyn Fn(&str) -> Option<String>) -> Result<Site, ConfigError> {
    let path = match get("MEMORY_LEPTOS_CONFIG") {
        Some(p) => Some(PathBuf::from(p)),
        None => std::path::Path::new(FILE)
            .is_file()
            .then(|| PathBuf::from(FILE)),
    };
    let file: Option<LeptosOptions> = match &path {
        Some(p) => Some(
            leptos::config::get_config_from_file(p)
                .map_err(|e| {
                    ConfigError::new(
                        "MEMORY_LEPTOS_CONFIG",
                        format!("{} could not be read: {e}", p.display()),
                    )
                })?
                .leptos_options,
        ),
        None => None,
    };
    let root = match (get("MEMORY_SITE_ROOT"), &file) {
        (Some(root), _) => PathBuf::from(root),
        (None, Some(f)) => PathBuf::from(f.site_root.as_ref()),
        (None, None) => PathBuf::from("target/site"),
    };
    Ok(Site {
        root,
        pkg_dir: file
            .as_ref()
            .map_or_else(|| "pkg".to_owned(), |f| f.site_pkg_dir.to_string()),
        output_name: file
            .as_ref()
            .map_or_else(|| "memory-mesh".to_owned(), |f| f.output_name.to_string()),
        addr: file.as_ref().map(|f| f.site_addr),
        file: path,
    })
}

#[cfg(test)]
mod tests {
    use super::super::Settings;

    /// A `Leptos.toml` of this text, in a directory of its own; the settings' variables.
    fn with_file(text: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let dir = std::env::temp_dir().join(format!("mm-site-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("Leptos.toml");
        std::fs::write(&file, text).unwrap();
        let mut vars = vec![
            ("MEMORY_DATA_DIR".to_owned(), dir.display().to_string()),
            (
                "MEMORY_LEPTOS_CONFIG".to_owned(),
                file.display().to_string(),
            ),
        ];
        vars.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        vars
    }

    const FILE: &str = "[package.metadata.leptos]\noutput-name = \"mesh\"\n\
                        site-root = \"/srv/mesh/site\"\nsite-pkg-dir = \"assets\"\n\
                        site-addr = \"0.0.0.0:9000\"\n";

    #[test]
    fn leptos_toml_names_the_site_and_the_address() {
        let s = Settings::from_vars(&with_file(FILE, &[])).unwrap();
        assert_eq!(s.site.root, std::path::Path::new("/srv/mesh/site"));
        assert_eq!(
            (s.site.pkg_dir.as_str(), s.site.output_name.as_str()),
            ("assets", "mesh")
        );
        assert_eq!(s.bind_address(), "0.0.0.0:9000".parse().unwrap());
    }

    #[test]
    fn memory_settings_override_leptos_toml() {
        let extra = [
            ("MEMORY_SITE_ROOT", "/opt/site"),
            ("MEMORY_HOST", "127.0.0.1"),
            ("MEMORY_PORT", "8123"),
        ];
        let s = Settings::from_vars(&with_file(FILE, &extra)).unwrap();
        assert_eq!(s.site.root, std::path::Path::new("/opt/site"));
        assert_eq!(s.bind_address(), "127.0.0.1:8123".parse().unwrap());
        assert_eq!(
            s.site.output_name, "mesh",
            "what no MEMORY_* setting names stays"
        );
    }

    #[test]
    fn a_named_file_that_cannot_be_read_is_a_configuration_error() {
        let mut vars = with_file(FILE, &[]);
        vars.retain(|(k, _)| k != "MEMORY_LEPTOS_CONFIG");
        vars.push((
            "MEMORY_LEPTOS_CONFIG".into(),
            "/nonexistent/Leptos.toml".into(),
        ));
        let err = Settings::from_vars(&vars).unwrap_err();
        assert!(err.to_string().contains("MEMORY_LEPTOS_CONFIG"), "{err}");
        let no_section = with_file("[other]\nx = 1\n", &[]);
        assert!(Settings::from_vars(&no_section).is_err());
    }
}
