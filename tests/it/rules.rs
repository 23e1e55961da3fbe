//! Every rule's own examples, run through the real detector with the whole
//! built-in rule pack loaded (so a rule that another rule shadows fails too).

use keyscan::detect::examples;
use keyscan::detect::Detector;
use keyscan::rules::RuleSet;

#[test]
fn every_rule_example_holds() {
    let rules = RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
    let det = Detector::new(rules.clone()).unwrap();
    let mut failures = Vec::new();
    for rule in rules.rules() {
        if let Err(e) = examples::check_examples(&det, rule) {
            failures.push(format!("{}: rule `{}`: {e}", rule.source, rule.id()));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_rule_is_documented_and_has_examples() {
    let rules = RuleSet::builtin().unwrap();
    for rule in rules.rules() {
        let s = &rule.spec;
        assert!(
            s.remediation.starts_with("https://"),
            "{}: remediation must be a URL",
            s.id
        );
        assert!(!s.examples.is_empty(), "{}: needs positive examples", s.id);
        assert!(
            s.confidence.is_some(),
            "{}: a built-in rule states its confidence",
            s.id
        );
        assert!(!s.negatives.is_empty(), "{}: needs negative examples", s.id);
    }
}

#[test]
fn rule_ids_are_unique_across_files() {
    // RuleSet::builtin() rejects duplicates; make sure every file contributed.
    let rules = RuleSet::builtin().unwrap();
    for (name, _) in RuleSet::builtin_files() {
        assert!(
            rules.rules().iter().any(|r| &r.source == name),
            "{name} defines no rule"
        );
    }
}

#[test]
fn every_builtin_regex_compiles_within_the_size_cap() {
    // Built-in rules compile lazily at scan time; make sure each one can.
    let rules = RuleSet::builtin().unwrap();
    for rule in rules.rules() {
        if let Err(e) = keyscan::rules::Rule::compile(rule.spec.clone(), &rule.source) {
            panic!("{e}");
        }
    }
}

#[test]
fn every_rule_has_three_positive_and_three_negative_examples() {
    let rules = RuleSet::builtin().unwrap();
    let thin: Vec<String> = rules
        .rules()
        .iter()
        .filter(|r| r.spec.examples.len() < 3 || r.spec.negatives.len() < 3)
        .map(|r| {
            format!(
                "{}: {} positive, {} negative",
                r.id(),
                r.spec.examples.len(),
                r.spec.negatives.len()
            )
        })
        .collect();
    assert!(thin.is_empty(), "\n{}", thin.join("\n"));
}

/// Words so common in code that a keyword equal to one of them would open a
/// regex window on most lines.
const TOO_COMMON: &[&str] = &[
    "key", "keys", "token", "secret", "password", "pass", "api", "auth", "bearer", "http", "https",
    "client", "config", "value", "data", "user", "true", "false", "null", "the",
];

#[test]
fn keywords_are_selective() {
    let rules = RuleSet::builtin().unwrap();
    // Generic rules look for secret-like names by design.
    for rule in rules.rules().iter().filter(|r| !r.spec.generic) {
        for k in &rule.spec.keywords {
            assert_eq!(
                k,
                &k.to_lowercase(),
                "{}: keyword {k:?} must be lower case",
                rule.id()
            );
            assert!(k.len() >= 3, "{}: keyword {k:?} is too short", rule.id());
            assert!(
                !TOO_COMMON.contains(&k.as_str()),
                "{}: keyword {k:?} is too common to be selective",
                rule.id()
            );
        }
    }
}

/// The AI and ML providers the pack covers (issue 3 asks for at least 50).
const AI_PROVIDERS: &[&str] = &[
    "OpenAI",
    "Anthropic",
    "Google",
    "Azure OpenAI",
    "AWS Bedrock",
    "Vercel AI Gateway",
    "Moonshot AI",
    "MiniMax",
    "Z.ai",
    "Cursor",
    "RunPod",
    "fal.ai",
    "Mistral AI",
    "Cohere",
    "Groq",
    "xAI",
    "Perplexity",
    "DeepSeek",
    "OpenRouter",
    "Together AI",
    "Fireworks AI",
    "Replicate",
    "Hugging Face",
    "Cerebras",
    "NVIDIA",
    "Voyage AI",
    "Jina AI",
    "AI21 Labs",
    "DeepInfra",
    "Anyscale",
    "LangSmith",
    "Langfuse",
    "Helicone",
    "Weights & Biases",
    "Pinecone",
    "Qdrant",
    "Weaviate",
    "ElevenLabs",
    "AssemblyAI",
    "Deepgram",
    "Stability AI",
    "Runway",
    "Clarifai",
    "Modal",
    "Tavily",
    "Firecrawl",
    "Exa",
    "E2B",
    "LlamaIndex",
    "Braintrust",
    "Devin",
    "Upstage",
    "Alibaba DashScope",
    "SiliconFlow",
    "Cartesia",
    "Ollama",
    "Greptile",
];

/// The common keys that ship beside them (at least 25).
const COMMON_PROVIDERS: &[&str] = &[
    "AWS",
    "Django",
    "Kubernetes",
    "Apache Shiro",
    "GitHub",
    "GitLab",
    "Slack",
    "Stripe",
    "Twilio",
    "SendGrid",
    "npm",
    "PyPI",
    "Docker Hub",
    "Discord",
    "Telegram",
    "Shopify",
    "Databricks",
    "Supabase",
    "DigitalOcean",
    "Cloudflare",
    "Heroku",
    "Mailgun",
    "Google Cloud",
    "Azure Storage",
    "Microsoft Entra ID",
    "Database",
    "Cryptographic key",
    // tokens
    "JWT",
    "NATS",
    "OAuth 1.0",
    "Postman",
    "Linear",
    "Sentry",
    "Notion",
    "Doppler",
    "HashiCorp Vault",
    "HashiCorp Terraform",
    "Grafana",
    "New Relic",
    "age",
    "PlanetScale",
    "Atlassian",
    "1Password",
    "Docker",
    // breadth-a
    "42",
    "Ably",
    "Adafruit",
    "Adobe",
    "Agora",
    "Airtable",
    "Algolia",
    "Alibaba Cloud",
    "Apify",
    "Asana",
    "Auth0",
    "Azure DevOps",
    "Azure",
    "Baseten",
    "Beamer",
    "Binance",
    "Bitbucket",
    "Bitly",
    "Brevo",
    "BrowserStack",
    "Buildkite",
    "CircleCI",
    "ClickHouse",
    "ClickUp",
    "Clojars",
    "Cloudinary",
    "Codacy",
    "Codecov",
    "Confluent",
    "Contentful",
    "Coze",
    "Cypress",
    "Datadog",
    "DeepL",
    "Defined Networking",
    "Deno",
    "Dify",
    "Discourse",
    "Dropbox",
    "Duffel",
    "Elastic",
    "Dynatrace",
    "EasyPost",
    "Etherscan",
    "Fastly",
    "Figma",
    "Flutterwave",
    "Frame.io",
    "Fly.io",
    "Freshdesk",
    "Gitea",
    "GoCardless",
    "Harness",
    "Hetzner",
    "Honeycomb",
    "HubSpot",
    "Infracost",
    "Infura",
    "Intercom",
    "Ionic",
    "JFrog",
    "Jenkins",
    "JumpCloud",
    "Klaviyo",
    "Kong",
    "Kraken",
    "LaunchDarkly",
    "Leonardo.Ai",
    "LinkedIn",
    "Linode",
    "Lokalise",
    "Looker",
    "Meta",
    // breadth-b
    "Mailchimp",
    "Mandrill",
    "Mapbox",
    "Matrix",
    "Mattermost",
    "MaxMind",
    "Cisco Meraki",
    "Mercado Pago",
    "MessageBird",
    "Microsoft Teams",
    "Mollie",
    "MongoDB Atlas",
    "Netlify",
    "New Relic",
    "ngrok",
    "Nightfall AI",
    "NuGet",
    "New York Times",
    "Octopus Deploy",
    "Okta",
    "Red Hat OpenShift",
    "OpenWeather",
    "Opsgenie",
    "PagerDuty",
    "PayPal Braintree",
    "PayPal",
    "Plaid",
    "Plivo",
    "PostHog",
    "Postmark",
    "Prefect",
    "Private AI",
    "Pulumi",
    "Railway",
    "RapidAPI",
    "ReadMe",
    "Render",
    "Resend",
    "Rollbar",
    "Rootly",
    "RubyGems",
    "Salesforce",
    "Sauce Labs",
    "Scaleway",
    "Scalingo",
    "Segment",
    "Sendbird",
    "SettleMint",
    "Shippo",
    "Shortcut",
    "Sidekiq",
    "Snyk",
    "SonarQube",
    "Sourcegraph",
    "SparkPost",
    "Splunk",
    "Square",
    "Squarespace",
    "StackHawk",
    "Stripe",
    "Sumo Logic",
    "Tailscale",
    "Telnyx",
    "Todoist",
    "Travis CI",
    "Trello",
    "Twitch",
    "X (Twitter)",
    "Typeform",
    "Ubidots",
    "Vercel",
    "Voiceflow",
    "Vonage",
    "Vultr",
    "WakaTime",
    "Webflow",
    "WireGuard",
    "Yandex Cloud",
    "Zapier",
    "Zendesk",
    "ZeroTier",
    "Zulip",
    "Tencent Cloud",
    "Pinata",
    "Pusher",
    "Pipedrive",
    "Mixpanel",
    "UptimeRobot",
    "Razorpay",
    "Mailjet",
    "Shodan",
    "VirusTotal",
    "Neon",
    "MailerSend",
];

#[test]
fn provider_coverage() {
    let rules = RuleSet::builtin().unwrap();
    let providers: std::collections::BTreeSet<&str> = rules
        .rules()
        .iter()
        .map(|r| r.spec.provider.as_str())
        .collect();
    for p in AI_PROVIDERS.iter().chain(COMMON_PROVIDERS) {
        assert!(providers.contains(p), "no rule for provider {p:?}");
    }
    assert!(
        AI_PROVIDERS.len() >= 50,
        "{} AI providers",
        AI_PROVIDERS.len()
    );
    assert!(
        COMMON_PROVIDERS.len() >= 25,
        "{} common providers",
        COMMON_PROVIDERS.len()
    );
    let listed: std::collections::BTreeSet<&str> = AI_PROVIDERS
        .iter()
        .chain(COMMON_PROVIDERS)
        .copied()
        .collect();
    // Generic values.
    let others = ["Generic"];
    let unlisted: Vec<&&str> = providers
        .iter()
        .filter(|p| !listed.contains(*p) && !others.contains(*p))
        .collect();
    assert!(
        unlisted.is_empty(),
        "providers missing from the lists: {unlisted:?}"
    );
}

/// The hosts each rule file's verification specs may send secrets to: the
/// provider's own API hosts, nothing else.
const VERIFY_HOSTS: &[(&str, &[&str])] = &[
    ("anthropic.toml", &["api.anthropic.com"]),
    ("assemblyai.toml", &["api.assemblyai.com"]),
    ("aws.toml", &["sts.amazonaws.com"]),
    ("braintrust.toml", &["api.braintrust.dev"]),
    ("cartesia.toml", &["api.cartesia.ai"]),
    ("cerebras.toml", &["api.cerebras.ai"]),
    ("clarifai.toml", &["api.clarifai.com"]),
    ("cloudflare.toml", &["api.cloudflare.com"]),
    ("cohere.toml", &["api.cohere.com"]),
    ("deepgram.toml", &["api.deepgram.com"]),
    ("deepinfra.toml", &["api.deepinfra.com"]),
    ("deepseek.toml", &["api.deepseek.com"]),
    ("digitalocean.toml", &["api.digitalocean.com"]),
    ("discord.toml", &["discord.com"]),
    ("doppler.toml", &["api.doppler.com"]),
    ("e2b.toml", &["api.e2b.dev"]),
    ("elevenlabs.toml", &["api.elevenlabs.io"]),
    ("firecrawl.toml", &["api.firecrawl.dev"]),
    ("fireworks.toml", &["api.fireworks.ai"]),
    ("github.toml", &["api.github.com"]),
    ("gitlab.toml", &["gitlab.com"]),
    (
        "google.toml",
        &["generativelanguage.googleapis.com", "oauth2.googleapis.com"],
    ),
    ("groq.toml", &["api.groq.com"]),
    ("hashicorp.toml", &["app.terraform.io"]),
    ("heroku.toml", &["api.heroku.com"]),
    ("huggingface.toml", &["huggingface.co"]),
    ("langsmith.toml", &["api.smith.langchain.com"]),
    ("linear.toml", &["api.linear.app"]),
    ("llamacloud.toml", &["api.cloud.llamaindex.ai"]),
    ("mailgun.toml", &["api.mailgun.net"]),
    ("mistral.toml", &["api.mistral.ai"]),
    ("moonshot.toml", &["api.moonshot.ai"]),
    ("newrelic.toml", &["api.newrelic.com"]),
    ("notion.toml", &["api.notion.com"]),
    ("npm.toml", &["registry.npmjs.org"]),
    ("openai.toml", &["api.openai.com"]),
    ("openrouter.toml", &["openrouter.ai"]),
    ("perplexity.toml", &["api.perplexity.ai"]),
    ("pinecone.toml", &["api.pinecone.io"]),
    ("postman.toml", &["api.getpostman.com"]),
    ("replicate.toml", &["api.replicate.com"]),
    ("runpod.toml", &["rest.runpod.io"]),
    ("sendgrid.toml", &["api.sendgrid.com"]),
    ("sentry.toml", &["sentry.io"]),
    ("siliconflow.toml", &["api.siliconflow.cn"]),
    ("slack.toml", &["slack.com", "hooks.slack.com"]),
    ("stability.toml", &["api.stability.ai"]),
    ("stripe.toml", &["api.stripe.com"]),
    ("tavily.toml", &["api.tavily.com"]),
    ("telegram.toml", &["api.telegram.org"]),
    ("together.toml", &["api.together.xyz"]),
    ("twilio.toml", &["api.twilio.com"]),
    ("wandb.toml", &["api.wandb.ai"]),
    ("xai.toml", &["api.x.ai"]),
];

/// Rules whose provider API has no other place for the secret than the
/// URL (a webhook is its URL; the Telegram Bot API puts the token in the
/// path).
const SECRET_IN_URL: &[&str] = &["slack-webhook", "discord-webhook", "telegram-bot-token"];

/// Every verification spec parses (the built-in rules load), is HTTPS,
/// names only its provider's hosts, carries the secret in a header or a
/// body unless the API allows nothing else, and cites the provider's API
/// documentation (a `# https://...` comment on the line after
/// `[rule.verify]`); and at least 40 providers have one.
#[test]
fn verification_specs_name_only_their_providers_https_hosts() {
    use keyscan::rules::verify::https_host;
    let rules = RuleSet::builtin().unwrap();
    let allowed: std::collections::BTreeMap<&str, &[&str]> = VERIFY_HOSTS.iter().copied().collect();
    let mut providers = std::collections::BTreeSet::new();
    for rule in rules.rules() {
        let Some(v) = &rule.spec.verify else { continue };
        providers.insert(rule.spec.provider.clone());
        let hosts = allowed
            .get(rule.source.as_str())
            .unwrap_or_else(|| panic!("{}: add its hosts to VERIFY_HOSTS", rule.source));
        let host = v.target_host().unwrap();
        assert!(
            hosts.contains(&host),
            "{}: {host} is not one of {hosts:?}",
            rule.id()
        );
        if v.host.is_none() {
            assert_eq!(
                https_host(&v.url),
                Some(host),
                "{}: not an https:// URL",
                rule.id()
            );
        }
        assert_eq!(
            v.secret_in_url(),
            SECRET_IN_URL.contains(&rule.id()),
            "{}: the secret goes in a header or the body",
            rule.id()
        );
    }
    for (name, text) in RuleSet::builtin_files() {
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if l.trim() == "[rule.verify]" {
                let doc = lines.get(i + 1).copied().unwrap_or("");
                assert!(
                    doc.starts_with("# https://"),
                    "{name}:{}: [rule.verify] must cite the API documentation on its next line",
                    i + 2
                );
            }
        }
    }
    assert!(
        providers.len() >= 40,
        "{} providers: {providers:?}",
        providers.len()
    );
}

/// A configuration's rule cannot carry a verification spec: a scanned
/// repository must not choose where secrets are sent.
#[test]
fn configured_rules_cannot_verify() {
    let tree = crate::common::Tree::new();
    tree.file(
        ".keyscan.toml",
        r#"
[[rule]]
id = "custom-token"
name = "Custom token"
provider = "Custom"
severity = "high"
keywords = ["cust_"]
regex = '''(?P<secret>cust_[a-z0-9]{20})'''
remediation = "https://example.invalid"
[rule.verify]
url = "https://collector.example/{secret}"
"#,
    );
    let out = tree.keyscan().args(["--verify", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("built-in rules only"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn docs_rules_md_is_the_rule_table() {
    let out = crate::common::keyscan()
        .args(["rules", "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let on_disk = std::fs::read_to_string(crate::common::root().join("docs/RULES.md")).unwrap();
    assert!(
        on_disk == String::from_utf8(out.stdout).unwrap(),
        "docs/RULES.md is stale: run `cargo run -- rules --format markdown > docs/RULES.md`"
    );
    let rules = RuleSet::builtin().unwrap();
    assert!(rules.len() >= 300, "{} rules", rules.len());
}
