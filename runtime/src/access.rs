//! Who may use what, as the manifest declares it: scopes every request needs,
//! scopes of each tool, resource, resource template and prompt, roles (named sets
//! of scopes that a token's role claim grants), and whether a token must name a
//! tenant. Generated code hands it over as one JSON object
//! (`ServerBuilder::access`); the server enforces it for callers whose requests
//! carry a verified principal.

use std::collections::HashMap;

use serde::Deserialize;

use crate::auth::Principal;

/// The access rules as generated code writes them: items by name (resources by
/// URI, templates by URI template).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AccessJson {
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub tenancy: Tenancy,
    #[serde(default)]
    pub roles: HashMap<String, Vec<String>>,
    #[serde(default)]
    pub tools: HashMap<String, Vec<String>>,
    #[serde(default)]
    pub resources: HashMap<String, Vec<String>>,
    #[serde(default)]
    pub resource_templates: HashMap<String, Vec<String>>,
    #[serde(default)]
    pub prompts: HashMap<String, Vec<String>>,
}

/// Whether a caller must belong to a tenant.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Tenancy {
    /// A token without a tenant is served (its principal has none).
    #[default]
    Optional,
    /// A token without a tenant is refused: nothing is served outside a tenant.
    Required,
}

/// The access rules, each item's scopes at its index in the registry's lists.
#[derive(Debug, Default)]
pub(crate) struct Access {
    server: Box<[String]>,
    tenancy: Tenancy,
    roles: HashMap<String, Vec<String>>,
    pub tools: Vec<Box<[String]>>,
    pub resources: Vec<Box<[String]>>,
    pub templates: Vec<Box<[String]>>,
    pub prompts: Vec<Box<[String]>>,
}

impl Access {
    /// Aligns `json`'s item scopes with the registry's lists, whose names (or URIs,
    /// or URI templates) are given in order. A name no item has is an error.
    pub(crate) fn new(
        json: AccessJson,
        [tools, resources, templates, prompts]: [Vec<&str>; 4],
        errors: &mut Vec<String>,
    ) -> Access {
        let mut align =
            |kind: &str, mut by_name: HashMap<String, Vec<String>>, names: Vec<&str>| {
                let aligned: Vec<Box<[String]>> = names
                    .iter()
                    .map(|name| by_name.remove(*name).unwrap_or_default().into())
                    .collect();
                let mut unknown: Vec<String> = by_name.into_keys().collect();
                unknown.sort();
                for name in unknown {
                    errors.push(format!(
                        "access: scopes for {kind} `{name}`, which is not registered"
                    ));
                }
                aligned
            };
        Access {
            tools: align("tool", json.tools, tools),
            resources: align("resource", json.resources, resources),
            templates: align("resource template", json.resource_templates, templates),
            prompts: align("prompt", json.prompts, prompts),
            server: json.scopes.into(),
            tenancy: json.tenancy,
            roles: json.roles,
        }
    }

    /// The scopes every request needs.
    pub(crate) fn server_scopes(&self) -> &[String] {
        &self.server
    }

    /// Every scope the rules name, for the protected resource metadata's
    /// `scopes_supported`: the server's first, then the items', each once.
    pub(crate) fn all_scopes(&self) -> Vec<String> {
        let mut all: Vec<String> = Vec::new();
        let items = [&self.tools, &self.resources, &self.templates, &self.prompts];
        let named = self
            .server
            .iter()
            .chain(items.into_iter().flatten().flat_map(|s| s.iter()));
        for scope in named {
            if !all.contains(scope) {
                all.push(scope.clone());
            }
        }
        all
    }

    /// Whether a caller must belong to a tenant.
    pub(crate) fn requires_tenant(&self) -> bool {
        self.tenancy == Tenancy::Required
    }

    /// Adds the scopes of the principal's roles to its own.
    pub(crate) fn grant_roles(&self, principal: &mut Principal) {
        if self.roles.is_empty() {
            return;
        }
        let granted: Vec<String> = principal
            .roles()
            .iter()
            .filter_map(|role| self.roles.get(role))
            .flatten()
            .cloned()
            .collect();
        principal.grant(granted);
    }
}

/// Whether `principal` holds every one of `needed` (a broader scope covers a
/// narrower one: see [`Principal::has_scope`]).
pub(crate) fn holds_all<'a>(
    principal: &Principal,
    mut needed: impl Iterator<Item = &'a str>,
) -> bool {
    needed.all(|scope| principal.has_scope(scope))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(value: serde_json::Value) -> AccessJson {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn item_scopes_line_up_with_the_registry_and_unknown_names_are_errors() {
        let mut errors = Vec::new();
        let access = Access::new(
            json(serde_json::json!({
                "scopes": ["notes:read"],
                "tools": { "purge": ["notes:admin"], "ghost": ["x"] },
                "prompts": { "summary": ["notes:read"] },
            })),
            [vec!["create", "purge"], vec![], vec![], vec!["summary"]],
            &mut errors,
        );
        assert_eq!(access.tools[0].len(), 0);
        assert_eq!(&*access.tools[1], ["notes:admin".to_owned()]);
        assert_eq!(&*access.prompts[0], ["notes:read".to_owned()]);
        assert_eq!(
            errors,
            ["access: scopes for tool `ghost`, which is not registered"]
        );
        assert_eq!(access.all_scopes(), ["notes:read", "notes:admin"]);
    }

    #[test]
    fn roles_grant_their_scopes() {
        let access = Access::new(
            json(serde_json::json!({
                "roles": { "admin": ["notes:admin", "notes:write"], "viewer": ["notes:read"] },
                "tenancy": "required",
            })),
            Default::default(),
            &mut Vec::new(),
        );
        assert!(access.requires_tenant());
        let mut p = Principal::fixed("alice", ["notes:read"]).with_roles(["admin"]);
        access.grant_roles(&mut p);
        assert!(holds_all(&p, ["notes:admin", "notes:read"].into_iter()));
        let mut q = Principal::fixed("bob", Vec::<String>::new()).with_roles(["viewer"]);
        access.grant_roles(&mut q);
        assert!(!holds_all(&q, ["notes:write"].into_iter()));
        assert!(holds_all(&q, ["notes:read"].into_iter()));
    }
}
