//! A labelled evaluation corpus for the rule pack: fake keys of every
//! provider embedded the way developers write them, in the kinds of files
//! they leak from, mixed with hard negatives that must not be reported.
//!
//! Everything is generated from a seed by a small xorshift RNG, so a seed
//! names one exact corpus. Every key is random and belongs to no account;
//! formats follow the providers' documented shapes (prefixes, lengths,
//! checksums, markers), written independently of the rule regexes.
//!
//! Shared by `examples/eval/main.rs` (prints per-provider recall and
//! precision) and `tests/eval.rs` (asserts both are at least 99%).

#![allow(dead_code)]

use std::fmt::Write as _;

// ------------------------------------------------------------------ RNG

/// xorshift64*: small, fast, deterministic.
pub struct Rng(u64);

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const LOWER_LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B32_LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
const DIGITS: &[u8] = b"0123456789";
const BECH32: &[u8] = b"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";
const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl Rng {
    /// A generator for `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// One element of `xs`.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// `n` characters drawn from `alphabet`.
    pub fn from(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[self.below(alphabet.len())] as char)
            .collect()
    }

    fn alnum(&mut self, n: usize) -> String {
        self.from(ALNUM, n)
    }
    fn hex(&mut self, n: usize) -> String {
        self.from(HEX, n)
    }
    fn lower(&mut self, n: usize) -> String {
        self.from(LOWER, n)
    }
    fn b64(&mut self, n: usize) -> String {
        self.from(B64, n)
    }
    fn b64url(&mut self, n: usize) -> String {
        self.from(B64URL, n)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn uuid(&mut self) -> String {
        let h = self.hex(32);
        let v = *self.pick(&["8", "9", "a", "b"]);
        format!(
            "{}-{}-4{}-{}{}-{}",
            &h[..8],
            &h[8..12],
            &h[13..16],
            v,
            &h[17..20],
            &h[20..]
        )
    }
    fn digits(&mut self, n: usize) -> String {
        let first = self.from(b"123456789", 1);
        first + &self.from(DIGITS, n - 1)
    }
}

/// Standard (or URL-safe) base64, with or without padding.
pub fn base64(data: &[u8], url: bool, pad: bool) -> String {
    let alphabet = if url { B64URL } else { B64 };
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
        if pad {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

/// The 6 base62 digits of a checksum, as text.
fn base62_6(n: u32) -> String {
    String::from_utf8_lossy(&keyscan::rules::checks::crc32::base62_6(n)).into_owned()
}

/// A token whose last 6 characters are the base62 CRC32 of the 30 before
/// them (GitHub classic tokens, npm tokens).
fn crc_token(prefix: &str, r: &mut Rng) -> String {
    let body = r.alnum(30);
    let sum = base62_6(crc32fast::hash(body.as_bytes()));
    format!("{prefix}{body}{sum}")
}

fn jwt(payload: &str, r: &mut Rng) -> String {
    format!(
        "{}.{}.{}",
        base64(br#"{"alg":"HS256","typ":"JWT"}"#, true, false),
        base64(payload.as_bytes(), true, false),
        r.b64url(43)
    )
}

fn supabase_jwt(role: &str, r: &mut Rng) -> String {
    let iat = 1_690_000_000 + r.below(60_000_000);
    let payload = format!(
        r#"{{"iss":"supabase","ref":"{}","role":"{role}","iat":{iat},"exp":{}}}"#,
        r.from(LOWER_LETTERS, 20),
        iat + 315_360_000
    );
    jwt(&payload, r)
}

// ------------------------------------------------------------------ providers

/// How a key shows whose it is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// The key's own prefix or structure names the provider.
    Prefixed,
    /// The key has no prefix: only a nearby name or endpoint tells.
    Named,
}

/// One key format of one provider, and how code names it.
pub struct Spec {
    /// Provider, as the rules name it.
    pub provider: &'static str,
    /// The environment variable it usually lives in.
    pub var: &'static str,
    /// The provider's short name, as a YAML/JSON section or Go package.
    pub word: &'static str,
    /// A Python client construction, `{k}` for the key.
    pub py: &'static str,
    /// A JavaScript client construction, `{k}` for the key.
    pub js: &'static str,
    /// The API base URL, if the key is used against a REST endpoint.
    pub endpoint: Option<&'static str>,
    /// An OpenAI-compatible endpoint: `OpenAI(api_key=..., base_url=...)`.
    pub compat: bool,
    /// Prefixed or named.
    pub kind: Kind,
    /// Generates one fake key.
    pub gen: fn(&mut Rng) -> String,
}

macro_rules! spec {
    ($provider:expr, $var:expr, $word:expr, $py:expr, $js:expr, $endpoint:expr, $compat:expr, $kind:ident, $gen:expr) => {
        Spec {
            provider: $provider,
            var: $var,
            word: $word,
            py: $py,
            js: $js,
            endpoint: $endpoint,
            compat: $compat,
            kind: Kind::$kind,
            gen: $gen,
        }
    };
}

const OPENAI_PY: &str = "client = OpenAI(api_key=\"{k}\")";
const OPENAI_JS: &str = "const client = new OpenAI({ apiKey: \"{k}\" });";

/// Every key format in the corpus.
pub fn specs() -> Vec<Spec> {
    vec![
        // OpenAI
        spec!("OpenAI", "OPENAI_API_KEY", "openai", OPENAI_PY, OPENAI_JS, Some("https://api.openai.com/v1"), false, Prefixed,
            |r| format!("sk-proj-{}T3BlbkFJ{}", r.b64url(74), r.b64url(74))),
        spec!("OpenAI", "OPENAI_API_KEY", "openai", OPENAI_PY, OPENAI_JS, Some("https://api.openai.com/v1"), false, Prefixed,
            |r| format!("sk-svcacct-{}T3BlbkFJ{}", r.b64url(74), r.b64url(74))),
        spec!("OpenAI", "OPENAI_ADMIN_KEY", "openai", OPENAI_PY, OPENAI_JS, None, false, Prefixed,
            |r| format!("sk-admin-{}T3BlbkFJ{}", r.b64url(58), r.b64url(58))),
        spec!("OpenAI", "OPENAI_API_KEY", "openai", OPENAI_PY, OPENAI_JS, None, false, Prefixed,
            |r| format!("sk-{}T3BlbkFJ{}", r.alnum(20), r.alnum(20))),
        // Anthropic
        spec!("Anthropic", "ANTHROPIC_API_KEY", "anthropic", "client = anthropic.Anthropic(api_key=\"{k}\")",
            "const anthropic = new Anthropic({ apiKey: \"{k}\" });", Some("https://api.anthropic.com/v1"), false, Prefixed,
            |r| format!("sk-ant-api03-{}AA", r.b64url(93))),
        spec!("Anthropic", "ANTHROPIC_ADMIN_KEY", "anthropic", "admin = anthropic.Anthropic(api_key=\"{k}\")",
            "const admin = new Anthropic({ apiKey: \"{k}\" });", None, false, Prefixed,
            |r| format!("sk-ant-admin01-{}AA", r.b64url(93))),
        spec!("Anthropic", "CLAUDE_CODE_OAUTH_TOKEN", "claude", "token = \"{k}\"", "const token = \"{k}\";", None, false, Prefixed,
            |r| format!("sk-ant-oat01-{}AA", r.b64url(93))),
        // Google
        spec!("Google", "GEMINI_API_KEY", "gemini", "genai.configure(api_key=\"{k}\")",
            "const genAI = new GoogleGenerativeAI(\"{k}\");", Some("https://generativelanguage.googleapis.com/v1beta"), false, Prefixed,
            |r| format!("AIza{}", r.b64url(35))),
        spec!("Google", "GEMINI_API_KEY", "gemini", "client = genai.Client(api_key=\"{k}\")",
            "const ai = new GoogleGenAI({ apiKey: \"{k}\" });", None, false, Prefixed,
            |r| format!("AQ.Ab8RN6{}", r.b64url(44))),
        // Azure OpenAI
        spec!("Azure OpenAI", "AZURE_OPENAI_API_KEY", "azure_openai",
            "client = AzureOpenAI(azure_endpoint=\"https://contoso.openai.azure.com/\", api_key=\"{k}\", api_version=\"2024-10-21\")",
            "const client = new AzureOpenAI({ endpoint: \"https://contoso.openai.azure.com/\", apiKey: \"{k}\" });",
            Some("https://contoso.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"), false, Named,
            |r| r.hex(32)),
        spec!("Azure OpenAI", "AZURE_OPENAI_API_KEY", "azure_openai",
            "client = AzureOpenAI(azure_endpoint=\"https://contoso.openai.azure.com/\", api_key=\"{k}\", api_version=\"2024-10-21\")",
            "const client = new AzureOpenAI({ endpoint: \"https://contoso.openai.azure.com/\", apiKey: \"{k}\" });",
            None, false, Prefixed,
            |r| format!("{}JQQJ99{}{}AC{}XJ3w3AAAAACOG{}", r.alnum(52), r.from(b"ABC", 1), r.from(UPPER_DIGITS, 1), r.alnum(5), r.alnum(4))),
        // AWS Bedrock
        spec!("AWS Bedrock", "AWS_BEARER_TOKEN_BEDROCK", "bedrock", "os.environ[\"AWS_BEARER_TOKEN_BEDROCK\"] = \"{k}\"",
            "process.env.AWS_BEARER_TOKEN_BEDROCK = \"{k}\";", None, false, Prefixed,
            |r| {
                let inner = format!("BedrockAPIKey-{}-at-{}:{}", r.lower(4), r.digits(12), r.b64(60));
                format!("ABSK{}", base64(inner.as_bytes(), false, true))
            }),
        spec!("AWS Bedrock", "AWS_BEARER_TOKEN_BEDROCK", "bedrock", "os.environ[\"AWS_BEARER_TOKEN_BEDROCK\"] = \"{k}\"",
            "process.env.AWS_BEARER_TOKEN_BEDROCK = \"{k}\";", None, false, Prefixed,
            |r| {
                let q = format!(
                    "bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA{}%2F20250701%2Fus-east-1%2Fbedrock%2Faws4_request&X-Amz-Date=20250701T120000Z&X-Amz-Expires=43200&X-Amz-Security-Token={}&X-Amz-Signature={}&Version=1",
                    r.from(BASE32, 16), r.b64url(120), r.hex(64));
                format!("bedrock-api-key-{}", base64(q.as_bytes(), false, true))
            }),
        spec!("Vercel AI Gateway", "AI_GATEWAY_API_KEY", "gateway", "gateway_key = \"{k}\"",
            "const gateway = createGateway({ apiKey: \"{k}\" });", None, false, Prefixed, |r| format!("vck_{}", r.b64url(56))),
        spec!("Moonshot AI", "MOONSHOT_API_KEY", "moonshot", "llm = MoonshotChat(api_key=\"{k}\")",
            "const moonshot = createMoonshot({ apiKey: \"{k}\" });", Some("https://api.moonshot.ai/v1"), true, Named,
            |r| format!("sk-{}", r.alnum(48))),
        spec!("MiniMax", "MINIMAX_API_KEY", "minimax", "client = OpenAI(api_key=\"{k}\", base_url=\"https://api.minimax.io/v1\")",
            "const minimax = new OpenAI({ apiKey: \"{k}\", baseURL: \"https://api.minimax.io/v1\" });", None, false, Prefixed,
            |r| format!("sk-api-{}", r.b64url(119))),
        spec!("Z.ai", "ZAI_API_KEY", "zai", "client = ZhipuAI(api_key=\"{k}\")", "const zai = new ZhipuAI({ apiKey: \"{k}\" });",
            Some("https://api.z.ai/api/paas/v4"), false, Named, |r| format!("{}.{}", r.hex(32), r.alnum(16))),
        spec!("Cursor", "CURSOR_API_KEY", "cursor", "cursor_client = CursorAdmin(api_key=\"{k}\")",
            "const cursor = new CursorClient({ apiKey: \"{k}\" });", Some("https://api.cursor.com/teams/members"), false, Named,
            |r| format!("key_{}", r.hex(64))),
        spec!("RunPod", "RUNPOD_API_KEY", "runpod", "runpod.api_key = \"{k}\"", "const runpod = runpodSdk(\"{k}\");", None, false, Prefixed,
            |r| format!("rpa_{}{}", r.from(UPPER_DIGITS, 40), r.alnum(6))),
        spec!("fal.ai", "FAL_KEY", "fal", "fal_client.api_key = \"{k}\"", "fal.config({ credentials: \"{k}\" });", None, false, Named,
            |r| format!("{}:{}", r.uuid(), r.hex(32))),
        spec!("Mistral AI", "MISTRAL_API_KEY", "mistral", "client = Mistral(api_key=\"{k}\")",
            "const mistral = new Mistral({ apiKey: \"{k}\" });", Some("https://api.mistral.ai/v1"), true, Named, |r| r.alnum(32)),
        spec!("Cohere", "COHERE_API_KEY", "cohere", "co = cohere.ClientV2(api_key=\"{k}\")",
            "const cohere = new CohereClient({ token: \"{k}\" });", Some("https://api.cohere.com/v2"), false, Named, |r| r.alnum(40)),
        spec!("Groq", "GROQ_API_KEY", "groq", "client = Groq(api_key=\"{k}\")", "const groq = new Groq({ apiKey: \"{k}\" });",
            Some("https://api.groq.com/openai/v1"), false, Prefixed,
            |r| format!("gsk_{}WGdyb3FY{}", r.alnum(20), r.alnum(24))),
        spec!("xAI", "XAI_API_KEY", "xai", "client = Client(api_key=\"{k}\")", "const xai = createXai({ apiKey: \"{k}\" });",
            Some("https://api.x.ai/v1"), false, Prefixed, |r| format!("xai-{}", r.alnum(80))),
        spec!("Perplexity", "PERPLEXITY_API_KEY", "perplexity", "client = OpenAI(api_key=\"{k}\", base_url=\"https://api.perplexity.ai\")",
            "const pplx = createPerplexity({ apiKey: \"{k}\" });", Some("https://api.perplexity.ai"), false, Prefixed,
            |r| format!("pplx-{}", r.alnum(48))),
        spec!("DeepSeek", "DEEPSEEK_API_KEY", "deepseek", "llm = ChatDeepSeek(model=\"deepseek-chat\", api_key=\"{k}\")",
            "const deepseek = createDeepSeek({ apiKey: \"{k}\" });", Some("https://api.deepseek.com"), true, Named,
            |r| format!("sk-{}", r.hex(32))),
        spec!("OpenRouter", "OPENROUTER_API_KEY", "openrouter", "client = OpenAI(base_url=\"https://openrouter.ai/api/v1\", api_key=\"{k}\")",
            "const openrouter = createOpenRouter({ apiKey: \"{k}\" });", Some("https://openrouter.ai/api/v1"), false, Prefixed,
            |r| format!("sk-or-v1-{}", r.hex(64))),
        spec!("Together AI", "TOGETHER_API_KEY", "together", "client = Together(api_key=\"{k}\")",
            "const together = new Together({ apiKey: \"{k}\" });", Some("https://api.together.xyz/v1"), false, Prefixed,
            |r| format!("tgp_v1_{}", r.b64url(43))),
        spec!("Together AI", "TOGETHER_API_KEY", "together", "client = Together(api_key=\"{k}\")",
            "const together = new Together({ apiKey: \"{k}\" });", Some("https://api.together.xyz/v1"), true, Named, |r| r.hex(64)),
        spec!("Fireworks AI", "FIREWORKS_API_KEY", "fireworks", "llm = Fireworks(api_key=\"{k}\")",
            "const fireworks = createFireworks({ apiKey: \"{k}\" });", Some("https://api.fireworks.ai/inference/v1"), false, Named,
            |r| format!("fw_{}", r.alnum(24))),
        spec!("Replicate", "REPLICATE_API_TOKEN", "replicate", "client = replicate.Client(api_token=\"{k}\")",
            "const replicate = new Replicate({ auth: \"{k}\" });", Some("https://api.replicate.com/v1"), false, Prefixed,
            |r| format!("r8_{}", r.alnum(37))),
        spec!("Hugging Face", "HF_TOKEN", "huggingface", "login(token=\"{k}\")", "const hf = new HfInference(\"{k}\");",
            Some("https://huggingface.co/api"), false, Prefixed, |r| format!("hf_{}", r.from(LETTERS, 34))),
        spec!("Hugging Face", "HF_ORG_TOKEN", "huggingface", "api = HfApi(token=\"{k}\")", "const hf = new HfInference(\"{k}\");",
            None, false, Prefixed, |r| format!("api_org_{}", r.from(LETTERS, 34))),
        spec!("Cerebras", "CEREBRAS_API_KEY", "cerebras", "client = Cerebras(api_key=\"{k}\")",
            "const cerebras = new Cerebras({ apiKey: \"{k}\" });", Some("https://api.cerebras.ai/v1"), false, Prefixed,
            |r| format!("csk-{}", r.lower(48))),
        spec!("NVIDIA", "NVIDIA_API_KEY", "nvidia", "client = OpenAI(base_url=\"https://integrate.api.nvidia.com/v1\", api_key=\"{k}\")",
            "const nim = new OpenAI({ apiKey: \"{k}\", baseURL: \"https://integrate.api.nvidia.com/v1\" });",
            Some("https://integrate.api.nvidia.com/v1"), false, Prefixed, |r| format!("nvapi-{}", r.b64url(64))),
        spec!("Voyage AI", "VOYAGE_API_KEY", "voyage", "vo = voyageai.Client(api_key=\"{k}\")",
            "const voyage = new VoyageAIClient({ apiKey: \"{k}\" });", Some("https://api.voyageai.com/v1"), false, Named,
            |r| format!("pa-{}", r.b64url(43))),
        spec!("Jina AI", "JINA_API_KEY", "jina", "headers = {\"Authorization\": \"Bearer {k}\"}",
            "const headers = { Authorization: \"Bearer {k}\" };", Some("https://api.jina.ai/v1"), false, Prefixed,
            |r| format!("jina_{}", r.alnum(60))),
        spec!("AI21 Labs", "AI21_API_KEY", "ai21", "client = AI21Client(api_key=\"{k}\")",
            "const ai21 = new AI21({ apiKey: \"{k}\" });", Some("https://api.ai21.com/studio/v1"), false, Named, |r| r.alnum(32)),
        spec!("DeepInfra", "DEEPINFRA_API_KEY", "deepinfra", "llm = DeepInfra(deepinfra_api_token=\"{k}\")",
            "const deepinfra = createDeepInfra({ apiKey: \"{k}\" });", Some("https://api.deepinfra.com/v1/openai"), true, Named,
            |r| r.alnum(32)),
        spec!("Anyscale", "ANYSCALE_API_KEY", "anyscale", "client = OpenAI(base_url=\"https://api.endpoints.anyscale.com/v1\", api_key=\"{k}\")",
            "const anyscale = new OpenAI({ apiKey: \"{k}\" });", None, false, Prefixed, |r| format!("esecret_{}", r.lower(26))),
        spec!("LangSmith", "LANGSMITH_API_KEY", "langsmith", "client = Client(api_key=\"{k}\")",
            "const client = new Client({ apiKey: \"{k}\" });", None, false, Prefixed,
            |r| format!("lsv2_{}_{}_{}", r.pick(&["pt", "sk"]), r.hex(32), r.hex(10))),
        spec!("Langfuse", "LANGFUSE_SECRET_KEY", "langfuse", "langfuse = Langfuse(public_key=\"pk-lf-1234\", secret_key=\"{k}\")",
            "const langfuse = new Langfuse({ secretKey: \"{k}\" });", None, false, Prefixed, |r| format!("sk-lf-{}", r.uuid())),
        spec!("Helicone", "HELICONE_API_KEY", "helicone", "default_headers = {\"Helicone-Auth\": \"Bearer {k}\"}",
            "const headers = { \"Helicone-Auth\": \"Bearer {k}\" };", None, false, Prefixed,
            |r| format!("sk-helicone-{}-{}-{}-{}", r.from(B32_LOWER, 7), r.from(B32_LOWER, 7), r.from(B32_LOWER, 7), r.from(B32_LOWER, 7))),
        spec!("Weights & Biases", "WANDB_API_KEY", "wandb", "wandb.login(key=\"{k}\")", "const wandbKey = \"{k}\"; // wandb",
            None, false, Named, |r| r.hex(40)),
        spec!("Weights & Biases", "WANDB_API_KEY", "wandb", "wandb.login(key=\"{k}\")", "process.env.WANDB_API_KEY = \"{k}\";",
            None, false, Prefixed, |r| format!("wandb_v1_{}", r.alnum(77))),
        spec!("Pinecone", "PINECONE_API_KEY", "pinecone", "pc = Pinecone(api_key=\"{k}\")",
            "const pc = new Pinecone({ apiKey: \"{k}\" });", None, false, Prefixed,
            |r| format!("pcsk_{}_{}", r.alnum(5), r.alnum(63))),
        spec!("Pinecone", "PINECONE_API_KEY", "pinecone", "pinecone.init(api_key=\"{k}\", environment=\"us-west1-gcp\")",
            "const pinecone = new Pinecone({ apiKey: \"{k}\" });", None, false, Named, |r| r.uuid()),
        spec!("Qdrant", "QDRANT_API_KEY", "qdrant", "client = QdrantClient(url=QDRANT_URL, api_key=\"{k}\")",
            "const qdrant = new QdrantClient({ url, apiKey: \"{k}\" });", None, false, Named,
            |r| format!("{}|{}", r.uuid(), r.b64url(43))),
        spec!("Weaviate", "WEAVIATE_API_KEY", "weaviate", "client = weaviate.Client(url=URL, auth_client_secret=weaviate.AuthApiKey(api_key=\"{k}\"))",
            "const weaviateClient = await weaviate.connectToWeaviateCloud(url, { authCredentials: new weaviate.ApiKey(\"{k}\") });",
            None, false, Named, |r| r.b64(48)),
        spec!("ElevenLabs", "ELEVENLABS_API_KEY", "elevenlabs", "client = ElevenLabs(api_key=\"{k}\")",
            "const elevenlabs = new ElevenLabsClient({ apiKey: \"{k}\" });", None, false, Prefixed,
            |r| format!("sk_{}", r.hex(48))),
        spec!("ElevenLabs", "ELEVENLABS_API_KEY", "elevenlabs", "client = ElevenLabs(api_key=\"{k}\")",
            "const elevenlabs = new ElevenLabsClient({ apiKey: \"{k}\" });", Some("https://api.elevenlabs.io/v1"), false, Named,
            |r| r.hex(32)),
        spec!("AssemblyAI", "ASSEMBLYAI_API_KEY", "assemblyai", "assemblyai.settings.api_key = \"{k}\"",
            "const assemblyai = new AssemblyAI({ apiKey: \"{k}\" });", Some("https://api.assemblyai.com/v2"), false, Named,
            |r| r.hex(32)),
        spec!("Deepgram", "DEEPGRAM_API_KEY", "deepgram", "deepgram = DeepgramClient(api_key=\"{k}\")",
            "const deepgram = createClient(\"{k}\"); // deepgram", Some("https://api.deepgram.com/v1/listen"), false, Named,
            |r| r.hex(40)),
        spec!("Stability AI", "STABILITY_API_KEY", "stability", "stability_api = client.StabilityInference(key=\"{k}\")",
            "const stabilityKey = \"{k}\";", Some("https://api.stability.ai/v2beta/stable-image/generate/core"), false, Named,
            |r| format!("sk-{}", r.alnum(48))),
        spec!("Runway", "RUNWAYML_API_SECRET", "runway", "client = RunwayML(api_key=\"{k}\")",
            "const runway = new RunwayML({ apiKey: \"{k}\" });", None, false, Named, |r| format!("key_{}", r.hex(128))),
        spec!("Clarifai", "CLARIFAI_PAT", "clarifai", "clarifai_pat = \"{k}\"", "const clarifaiPat = \"{k}\";",
            Some("https://api.clarifai.com/v2/users/me/apps/demo/models/general/outputs"), false, Named, |r| r.hex(32)),
        spec!("Modal", "MODAL_TOKEN_SECRET", "modal", "modal_token_secret = \"{k}\"", "const modalTokenSecret = \"{k}\";",
            None, false, Named, |r| format!("as-{}", r.alnum(22))),
        spec!("Tavily", "TAVILY_API_KEY", "tavily", "tavily_client = TavilyClient(api_key=\"{k}\")",
            "const tvly = tavily({ apiKey: \"{k}\" });", None, false, Prefixed,
            |r| format!("tvly-{}{}", r.pick(&["", "dev-", "prod-"]), r.alnum(32))),
        spec!("Firecrawl", "FIRECRAWL_API_KEY", "firecrawl", "app = FirecrawlApp(api_key=\"{k}\")",
            "const firecrawl = new Firecrawl({ apiKey: \"{k}\" });", None, false, Named, |r| format!("fc-{}", r.hex(32))),
        spec!("Exa", "EXA_API_KEY", "exa", "exa = Exa(api_key=\"{k}\")", "const exa = new Exa(\"{k}\");",
            Some("https://api.exa.ai/search"), false, Named, |r| r.uuid()),
        spec!("E2B", "E2B_API_KEY", "e2b", "sandbox = Sandbox(api_key=\"{k}\")", "const sandbox = await Sandbox.create({ apiKey: \"{k}\" });",
            None, false, Prefixed, |r| format!("e2b_{}", r.hex(40))),
        spec!("LlamaIndex", "LLAMA_CLOUD_API_KEY", "llamacloud", "parser = LlamaParse(api_key=\"{k}\")",
            "const reader = new LlamaParseReader({ apiKey: \"{k}\" });", None, false, Prefixed, |r| format!("llx-{}", r.alnum(48))),
        spec!("Braintrust", "BRAINTRUST_API_KEY", "braintrust", "braintrust.login(api_key=\"{k}\")",
            "const braintrust = initLogger({ apiKey: \"{k}\" }); // braintrust", None, false, Named,
            |r| format!("sk-{}", r.alnum(48))),
        spec!("Devin", "DEVIN_API_KEY", "devin", "headers = {\"Authorization\": \"Bearer {k}\"}",
            "const headers = { Authorization: `Bearer {k}` };", None, false, Prefixed, |r| format!("apk_user_{}", r.b64(140))),
        spec!("Upstage", "UPSTAGE_API_KEY", "upstage", "llm = ChatUpstage(api_key=\"{k}\")",
            "const upstage = new ChatUpstage({ apiKey: \"{k}\" });", None, false, Named, |r| format!("up_{}", r.alnum(29))),
        spec!("Alibaba DashScope", "DASHSCOPE_API_KEY", "dashscope", "dashscope.api_key = \"{k}\"",
            "const dashscopeKey = \"{k}\";", Some("https://dashscope-intl.aliyuncs.com/compatible-mode/v1"), true, Named,
            |r| format!("sk-{}", r.hex(32))),
        spec!("SiliconFlow", "SILICONFLOW_API_KEY", "siliconflow", "siliconflow_client = OpenAI(api_key=\"{k}\")",
            "const siliconflow = new OpenAI({ apiKey: \"{k}\" });", Some("https://api.siliconflow.cn/v1"), true, Named,
            |r| format!("sk-{}", r.from(LOWER_LETTERS, 48))),
        spec!("Cartesia", "CARTESIA_API_KEY", "cartesia", "client = Cartesia(api_key=\"{k}\")",
            "const cartesia = new CartesiaClient({ apiKey: \"{k}\" });", None, false, Prefixed,
            |r| format!("sk_car_{}", r.alnum(22))),
        spec!("Ollama", "OLLAMA_API_KEY", "ollama", "client = Client(host=\"https://ollama.com\", headers={\"Authorization\": \"Bearer {k}\"})",
            "const ollama = new Ollama({ host: \"https://ollama.com\", headers: { Authorization: \"Bearer {k}\" } });",
            None, false, Named, |r| format!("{}.{}", r.hex(32), r.b64url(24))),
        spec!("Greptile", "GREPTILE_API_KEY", "greptile", "greptile_client = Greptile(api_key=\"{k}\")",
            "const greptile = new Greptile({ apiKey: \"{k}\" });", None, false, Named, |r| r.b64(48)),
        // Common keys.
        spec!("GitHub", "GITHUB_TOKEN", "github", "g = Github(auth=Auth.Token(\"{k}\"))", "const octokit = new Octokit({ auth: \"{k}\" });",
            Some("https://api.github.com/user"), false, Prefixed, |r| {
                let p = *r.pick(&["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]);
                crc_token(p, r)
            }),
        spec!("GitHub", "GH_TOKEN", "github", "g = Github(auth=Auth.Token(\"{k}\"))", "const octokit = new Octokit({ auth: \"{k}\" });",
            None, false, Prefixed, |r| format!("github_pat_{}_{}", r.alnum(22), r.alnum(59))),
        spec!("GitLab", "GITLAB_TOKEN", "gitlab", "gl = gitlab.Gitlab(\"https://gitlab.com\", private_token=\"{k}\")",
            "const api = new Gitlab({ token: \"{k}\" });", None, false, Prefixed, |r| format!("glpat-{}", r.b64url(20))),
        spec!("Slack", "SLACK_BOT_TOKEN", "slack", "client = WebClient(token=\"{k}\")", "const web = new WebClient(\"{k}\");",
            None, false, Prefixed, |r| format!("xoxb-{}-{}-{}", r.digits(12), r.digits(13), r.alnum(24))),
        spec!("Slack", "SLACK_USER_TOKEN", "slack", "client = WebClient(token=\"{k}\")", "const web = new WebClient(\"{k}\");",
            None, false, Prefixed, |r| format!("xoxp-{}-{}-{}-{}", r.digits(12), r.digits(12), r.digits(13), r.hex(32))),
        spec!("Slack", "SLACK_WEBHOOK_URL", "slack", "requests.post(\"{k}\", json={\"text\": \"deployed\"})",
            "await fetch(\"{k}\", { method: \"POST\", body });", None, false, Prefixed,
            |r| format!("https://hooks.slack.com/services/T{}/B{}/{}", r.from(UPPER_DIGITS, 10), r.from(UPPER_DIGITS, 10), r.alnum(24))),
        spec!("Stripe", "STRIPE_SECRET_KEY", "stripe", "stripe.api_key = \"{k}\"", "const stripe = new Stripe(\"{k}\");",
            None, false, Prefixed, |r| format!("{}_live_51{}", r.pick(&["sk", "rk"]), r.alnum(97))),
        spec!("Twilio", "TWILIO_AUTH_TOKEN", "twilio", "twilio_auth_token = \"{k}\"", "const twilioAuthToken = \"{k}\";",
            None, false, Named, |r| r.hex(32)),
        spec!("SendGrid", "SENDGRID_API_KEY", "sendgrid", "sg = SendGridAPIClient(\"{k}\")", "sgMail.setApiKey(\"{k}\");",
            None, false, Prefixed, |r| format!("SG.{}.{}", r.b64url(22), r.b64url(43))),
        spec!("npm", "NPM_TOKEN", "npm", "npm_token = \"{k}\"", "const npmToken = \"{k}\";", None, false, Prefixed,
            |r| crc_token("npm_", r)),
        spec!("PyPI", "TWINE_PASSWORD", "pypi", "twine_password = \"{k}\"", "const pypiToken = \"{k}\";", None, false, Prefixed,
            |r| format!("pypi-AgEIcHlwaS5vcmc{}", r.b64url(160))),
        spec!("Docker Hub", "DOCKERHUB_TOKEN", "dockerhub", "client.login(username=\"ci\", password=\"{k}\")",
            "const dockerToken = \"{k}\";", None, false, Prefixed, |r| format!("dckr_pat_{}", r.b64url(27))),
        spec!("Docker", "SWARM_WORKER_TOKEN", "swarm", "swarm_token = \"{k}\"", "const swarmToken = \"{k}\";", None, false,
            Prefixed, |r| format!("SWMTKN-1-{}-{}", r.lower(50), r.lower(25))),
        spec!("Discord", "DISCORD_TOKEN", "discord", "bot.run(\"{k}\")", "client.login(\"{k}\");", None, false, Named,
            |r| {
                let id = r.digits(18);
                format!("{}.{}.{}", base64(id.as_bytes(), true, false), r.b64url(6), r.b64url(38))
            }),
        spec!("Discord", "DISCORD_WEBHOOK_URL", "discord", "webhook = DiscordWebhook(url=\"{k}\")",
            "await fetch(\"{k}\", { method: \"POST\" });", None, false, Prefixed,
            |r| format!("https://discord.com/api/webhooks/{}/{}", r.digits(18), r.b64url(68))),
        spec!("Telegram", "TELEGRAM_BOT_TOKEN", "telegram", "bot = telebot.TeleBot(\"{k}\")", "const bot = new Telegraf(\"{k}\");",
            None, false, Named, |r| format!("{}:AA{}", r.digits(10), r.b64url(33))),
        spec!("Shopify", "SHOPIFY_ACCESS_TOKEN", "shopify", "session = shopify.Session(\"shop.myshopify.com\", \"2024-10\", \"{k}\")",
            "const shopify = shopifyApi({ adminApiAccessToken: \"{k}\" });", None, false, Prefixed,
            |r| format!("{}{}", r.pick(&["shpat_", "shpca_", "shppa_", "shpss_"]), r.hex(32))),
        spec!("Databricks", "DATABRICKS_TOKEN", "databricks", "w = WorkspaceClient(host=HOST, token=\"{k}\")",
            "const client = new DBSQLClient(); await client.connect({ token: \"{k}\" });", None, false, Prefixed,
            |r| format!("dapi{}", r.hex(32))),
        spec!("Supabase", "SUPABASE_SERVICE_ROLE_KEY", "supabase", "supabase = create_client(url, \"{k}\")",
            "const supabase = createClient(url, \"{k}\");", None, false, Prefixed, |r| supabase_jwt("service_role", r)),
        spec!("Supabase", "SUPABASE_SECRET_KEY", "supabase", "supabase = create_client(url, \"{k}\")",
            "const supabase = createClient(url, \"{k}\");", None, false, Prefixed, |r| format!("sb_secret_{}", r.b64url(31))),
        spec!("DigitalOcean", "DIGITALOCEAN_TOKEN", "digitalocean", "manager = digitalocean.Manager(token=\"{k}\")",
            "const client = createApiClient({ token: \"{k}\" });", None, false, Prefixed,
            |r| format!("{}_v1_{}", r.pick(&["dop", "doo", "dor"]), r.hex(64))),
        spec!("Cloudflare", "CLOUDFLARE_API_TOKEN", "cloudflare", "cf = Cloudflare(api_token=\"{k}\")",
            "const cloudflare = new Cloudflare({ apiToken: \"{k}\" });", Some("https://api.cloudflare.com/client/v4/zones"), false, Named,
            |r| r.b64url(40)),
        spec!("Heroku", "HEROKU_API_KEY", "heroku", "heroku_conn = heroku3.from_key(\"{k}\")", "const heroku = new Heroku({ token: \"{k}\" });",
            None, false, Prefixed, |r| format!("HRKU-AA{}", r.b64url(58))),
        spec!("Mailgun", "MAILGUN_API_KEY", "mailgun", "mg = Mailgun(api_key=\"{k}\", domain=\"mg.corp.test\")",
            "const mg = mailgun.client({ username: \"api\", key: \"{k}\" });", None, false, Named,
            |r| format!("key-{}", r.hex(32))),
        spec!("Microsoft Entra ID", "AZURE_CLIENT_SECRET", "azure", "credential = ClientSecretCredential(tenant, client_id, \"{k}\")",
            "const credential = new ClientSecretCredential(tenant, clientId, \"{k}\");", None, false, Prefixed,
            |r| format!("{}{}Q~{}", r.alnum(3), r.from(DIGITS, 1), r.from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~.-", 34))),
        spec!("Postman", "POSTMAN_API_KEY", "postman", "headers = {\"X-Api-Key\": \"{k}\"}", "const headers = { \"X-Api-Key\": \"{k}\" };",
            None, false, Prefixed, |r| format!("PMAK-{}-{}", r.hex(24), r.hex(34))),
        spec!("Linear", "LINEAR_API_KEY", "linear", "linear_key = \"{k}\"", "const linear = new LinearClient({ apiKey: \"{k}\" });",
            None, false, Prefixed, |r| format!("lin_api_{}", r.alnum(40))),
        spec!("Sentry", "SENTRY_AUTH_TOKEN", "sentry", "sentry_token = \"{k}\"", "const sentryAuthToken = \"{k}\";", None, false, Prefixed,
            |r| format!("sntryu_{}", r.hex(64))),
        spec!("Notion", "NOTION_TOKEN", "notion", "notion = Client(auth=\"{k}\")", "const notion = new Client({ auth: \"{k}\" });",
            None, false, Prefixed, |r| format!("ntn_{}{}", r.from(DIGITS, 11), r.alnum(35))),
        spec!("Doppler", "DOPPLER_TOKEN", "doppler", "doppler_token = \"{k}\"", "const dopplerToken = \"{k}\";", None, false, Prefixed,
            |r| format!("dp.{}.{}", r.pick(&["pt", "st", "sa"]), r.alnum(43))),
        spec!("HashiCorp Vault", "VAULT_TOKEN", "vault", "client = hvac.Client(url=VAULT_ADDR, token=\"{k}\")",
            "const vault = require(\"node-vault\")({ token: \"{k}\" });", None, false, Prefixed, |r| format!("hvs.{}", r.b64url(90))),
        spec!("HashiCorp Terraform", "TFE_TOKEN", "terraform", "tfe_token = \"{k}\"", "const tfeToken = \"{k}\";", None, false, Prefixed,
            |r| format!("{}.atlasv1.{}", r.alnum(14), r.alnum(67))),
        spec!("Grafana", "GRAFANA_TOKEN", "grafana", "headers = {\"Authorization\": \"Bearer {k}\"}",
            "const headers = { Authorization: \"Bearer {k}\" };", None, false, Prefixed,
            |r| format!("glsa_{}_{}", r.alnum(32), r.hex(8))),
        spec!("New Relic", "NEW_RELIC_API_KEY", "newrelic", "headers = {\"API-Key\": \"{k}\"}", "const headers = { \"API-Key\": \"{k}\" };",
            None, false, Prefixed, |r| format!("NRAK-{}", r.from(UPPER_DIGITS, 27))),
        spec!("age", "SOPS_AGE_KEY", "age", "age_key = \"{k}\"", "const ageKey = \"{k}\";", None, false, Prefixed,
            |r| format!("AGE-SECRET-KEY-1{}", r.from(BECH32, 58))),
        spec!("PlanetScale", "PLANETSCALE_SERVICE_TOKEN", "planetscale", "token = \"{k}\"", "const token = \"{k}\";", None, false, Prefixed,
            |r| format!("pscale_{}_{}", r.pick(&["tkn", "pw"]), r.b64url(43))),
        spec!("Atlassian", "JIRA_API_TOKEN", "jira", "jira = JIRA(server=SERVER, basic_auth=(\"me@corp.test\", \"{k}\"))",
            "const jira = new JiraApi({ password: \"{k}\" });", None, false, Prefixed, |r| format!("ATATT3{}", r.b64url(186))),
        spec!("1Password", "OP_SERVICE_ACCOUNT_TOKEN", "onepassword", "op_token = \"{k}\"", "const opToken = \"{k}\";", None, false, Prefixed,
            |r| format!("ops_eyJ{}", r.b64(300))),
        // Values only a secret-like name marks as secrets.
        spec!("Generic", "INTERNAL_SERVICE_TOKEN", "internal", "service_token = \"{k}\"", "const serviceToken = \"{k}\";",
            None, false, Named, |r| r.alnum(32)),
        spec!("Generic", "SESSION_SECRET", "session", "app.secret_key = \"{k}\"", "const sessionSecret = \"{k}\";",
            None, false, Named, |r| r.b64(40)),
        spec!("Generic", "PAYMENTS_API_KEY", "payments", "payments_api_key = \"{k}\"", "const paymentsApiKey = \"{k}\";",
            None, false, Named, |r| format!("{}_{}", r.pick(&["prod", "live", "stg"]), r.alnum(32))),
    ]
}

// ------------------------------------------------------------------ files

/// The kinds of file keys leak from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FileType {
    Env,
    Python,
    JavaScript,
    TypeScript,
    Yaml,
    Json,
    Notebook,
    Terraform,
    Markdown,
    Shell,
    Go,
    Java,
    Bundle,
}

const FILE_TYPES: &[FileType] = &[
    FileType::Env,
    FileType::Python,
    FileType::JavaScript,
    FileType::TypeScript,
    FileType::Yaml,
    FileType::Json,
    FileType::Notebook,
    FileType::Terraform,
    FileType::Markdown,
    FileType::Shell,
    FileType::Go,
    FileType::Java,
    FileType::Bundle,
];

impl FileType {
    fn path(self, i: usize) -> String {
        match self {
            FileType::Env => format!("svc{i}/.env"),
            FileType::Python => format!("svc{i}/settings.py"),
            FileType::JavaScript => format!("web{i}/src/client.js"),
            FileType::TypeScript => format!("web{i}/src/config.ts"),
            FileType::Yaml => format!("deploy{i}/values.yaml"),
            FileType::Json => format!("conf{i}/config.json"),
            FileType::Notebook => format!("notebooks/experiment_{i}.ipynb"),
            FileType::Terraform => format!("infra{i}/main.tf"),
            FileType::Markdown => format!("docs/setup_{i}.md"),
            FileType::Shell => format!("scripts/deploy_{i}.sh"),
            FileType::Go => format!("cmd/app{i}/main.go"),
            FileType::Java => format!("app{i}/src/main/java/com/corp/Config.java"),
            FileType::Bundle => format!("dist{i}/assets/index-{i:04x}.min.js"),
        }
    }
}

/// A labelled key: the file it is in and the provider that issued it.
#[derive(Debug, Clone)]
pub struct Label {
    /// File path.
    pub path: String,
    /// Provider, as the rules name it.
    pub provider: String,
    /// The key as it appears in the file.
    pub secret: String,
}

/// The generated corpus.
#[derive(Debug, Default)]
pub struct Corpus {
    /// (path, contents).
    pub files: Vec<(String, String)>,
    /// Keys that must be found.
    pub labels: Vec<Label>,
    /// Number of hard negatives planted, by kind.
    pub negatives: Vec<(String, usize)>,
}

impl Corpus {
    /// Total number of hard negatives.
    pub fn negative_count(&self) -> usize {
        self.negatives.iter().map(|(_, n)| n).sum()
    }
    fn count_negative(&mut self, kind: &str) {
        match self.negatives.iter_mut().find(|(k, _)| k == kind) {
            Some((_, n)) => *n += 1,
            None => self.negatives.push((kind.to_string(), 1)),
        }
    }
}

/// One assignment-like item to render into a file.
struct Item {
    /// Lines (in the file's own syntax), or a pre-rendered block.
    text: String,
    labels: Vec<(String, String)>,
}

fn camel(var: &str) -> String {
    let mut out = String::new();
    for (i, w) in var.split('_').enumerate() {
        let w = w.to_ascii_lowercase();
        if i == 0 {
            out.push_str(&w);
        } else {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                out.push(f.to_ascii_uppercase());
                out.extend(c);
            }
        }
    }
    out
}

fn fill(tmpl: &str, k: &str) -> String {
    tmpl.replace("{k}", k)
}

/// JSON string escaping.
fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Render one key of `spec` in a form natural for `ft`.
fn render_key(ft: FileType, spec: &Spec, key: &str, r: &mut Rng) -> String {
    let var = spec.var;
    let lower = var.to_ascii_lowercase();
    let word = spec.word;
    let endpoint = spec.endpoint;
    let compat_ep = if spec.compat { endpoint } else { None };
    match ft {
        FileType::Env => match r.below(3) {
            0 => format!("{var}={key}"),
            1 => format!("{var}=\"{key}\""),
            _ => format!("# {word}\n{var}='{key}'"),
        },
        FileType::Python => {
            let choice = r.below(if compat_ep.is_some() { 6 } else { 5 });
            match choice {
                0 => format!("{var} = \"{key}\""),
                1 => format!("os.environ[\"{var}\"] = \"{key}\""),
                2 => format!("{lower} = os.getenv(\"{var}\", \"{key}\")"),
                3 => fill(spec.py, key),
                4 => format!("SETTINGS = {{\n    \"{word}\": {{\n        \"api_key\": \"{key}\",\n        \"timeout\": 30,\n    }},\n}}"),
                _ => format!(
                    "client = OpenAI(\n    api_key=\"{key}\",\n    base_url=\"{}\",\n)",
                    compat_ep.unwrap()
                ),
            }
        }
        FileType::JavaScript | FileType::TypeScript => {
            let ty = if ft == FileType::TypeScript { ": string" } else { "" };
            let choice = r.below(if compat_ep.is_some() { 5 } else { 4 });
            match choice {
                0 => format!("const {var}{ty} = \"{key}\";"),
                1 => format!("process.env.{var} = \"{key}\";"),
                2 => fill(spec.js, key),
                3 => format!("export const config = {{\n  {word}: {{\n    apiKey: \"{key}\",\n    retries: 2,\n  }},\n}};"),
                _ => format!(
                    "const client = new OpenAI({{ apiKey: \"{key}\", baseURL: \"{}\" }});",
                    compat_ep.unwrap()
                ),
            }
        }
        FileType::Yaml => match r.below(4) {
            0 => format!("{var}: {key}"),
            1 => format!("{var}: \"{key}\""),
            2 => format!("{word}:\n  api_key: {key}\n  timeout: 30"),
            _ => format!("env:\n  - name: {var}\n    value: \"{key}\""),
        },
        FileType::Json => match r.below(2) {
            0 => format!("\"{var}\": {}", json_str(key)),
            _ => format!("\"{word}\": {{ \"apiKey\": {}, \"region\": \"eu\" }}", json_str(key)),
        },
        FileType::Notebook => {
            let line = match r.below(3) {
                0 => format!("os.environ[\"{var}\"] = \"{key}\""),
                1 => fill(spec.py, key),
                _ => format!("{var} = \"{key}\""),
            };
            line
        }
        FileType::Terraform => match r.below(3) {
            0 => format!("{lower} = \"{key}\""),
            1 => format!("variable \"{lower}\" {{\n  type      = string\n  sensitive = true\n  default   = \"{key}\"\n}}"),
            _ => format!(
                "resource \"kubernetes_secret\" \"{word}\" {{\n  metadata {{\n    name = \"{word}\"\n  }}\n  data = {{\n    {var} = \"{key}\"\n  }}\n}}"
            ),
        },
        FileType::Markdown => {
            let choice = r.below(if endpoint.is_some() { 3 } else { 2 });
            match choice {
                0 => format!("```bash\nexport {var}=\"{key}\"\n```"),
                1 => format!("Put this in `.env`:\n\n```\n{var}={key}\n```"),
                _ => format!(
                    "```bash\ncurl {} \\\n  -H \"Authorization: Bearer {key}\"\n```",
                    endpoint.unwrap()
                ),
            }
        }
        FileType::Shell => {
            let choice = r.below(if endpoint.is_some() { 4 } else { 3 });
            match choice {
                0 => format!("export {var}=\"{key}\""),
                1 => format!("docker run --rm -e {var}={key} corp/worker:latest"),
                2 => format!("{var}='{key}' ./run.sh"),
                _ => format!(
                    "curl -sS {} \\\n  -H \"Authorization: Bearer {key}\" \\\n  -H 'Content-Type: application/json'",
                    endpoint.unwrap()
                ),
            }
        }
        FileType::Go => match r.below(2) {
            0 => format!("\tos.Setenv(\"{var}\", \"{key}\")"),
            _ => format!("\tcfg.{} = \"{key}\" // {var}", camel(var)),
        },
        FileType::Java => match r.below(2) {
            0 => format!("    private static final String {var} = \"{key}\";"),
            _ => format!("        System.setProperty(\"{var}\", \"{key}\");"),
        },
        FileType::Bundle => match r.below(2) {
            0 => format!("{var}:\"{key}\""),
            _ => format!("process.env.{var}||\"{key}\""),
        },
    }
}

// ------------------------------------------------------------------ special keys

fn aws_pair(ft: FileType, r: &mut Rng) -> Item {
    let id = format!("{}{}", r.pick(&["AKIA", "ASIA"]), r.from(BASE32, 16));
    let secret = r.b64(40);
    let text = match ft {
        FileType::Env | FileType::Shell | FileType::Markdown => {
            if r.chance(0.5) {
                format!("AWS_ACCESS_KEY_ID={id}\nAWS_SECRET_ACCESS_KEY={secret}")
            } else {
                format!("export AWS_SECRET_ACCESS_KEY=\"{secret}\"\nexport AWS_ACCESS_KEY_ID=\"{id}\"")
            }
        }
        FileType::Python | FileType::Notebook => format!(
            "s3 = boto3.client(\"s3\", aws_access_key_id=\"{id}\", aws_secret_access_key=\"{secret}\")"
        ),
        FileType::JavaScript | FileType::TypeScript => format!(
            "const s3 = new S3Client({{ credentials: {{ accessKeyId: \"{id}\", secretAccessKey: \"{secret}\" }} }});"
        ),
        FileType::Yaml => format!("aws:\n  access_key_id: {id}\n  secret_access_key: {secret}"),
        FileType::Json => format!("\"AccessKeyId\": \"{id}\", \"SecretAccessKey\": \"{secret}\""),
        FileType::Terraform => format!(
            "provider \"aws\" {{\n  region     = \"eu-west-1\"\n  access_key = \"{id}\"\n  secret_key = \"{secret}\"\n}}"
        ),
        FileType::Go => format!("\tcreds := credentials.NewStaticCredentials(\"{id}\", \"{secret}\", \"\")"),
        FileType::Java => format!(
            "        AwsBasicCredentials creds = AwsBasicCredentials.create(\"{id}\", \"{secret}\");"
        ),
        FileType::Bundle => format!("accessKeyId:\"{id}\",secretAccessKey:\"{secret}\""),
    };
    Item {
        text,
        labels: vec![("AWS".into(), id), ("AWS".into(), secret)],
    }
}

fn pem_block(r: &mut Rng) -> String {
    let (label, prefix, size) = *r.pick(&[
        (
            "PRIVATE KEY",
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ",
            1200usize,
        ),
        ("RSA PRIVATE KEY", "MIIEpAIBAAKCAQEA", 1190),
        ("EC PRIVATE KEY", "MHcCAQEEI", 90),
        (
            "OPENSSH PRIVATE KEY",
            "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
            300,
        ),
        ("PGP PRIVATE KEY BLOCK", "lQOYBGX", 900),
    ]);
    let body = format!("{prefix}{}", base64(&r.bytes(size), false, false));
    let mut out = format!("-----BEGIN {label}-----\n");
    if label.starts_with("PGP") {
        out.push('\n');
    }
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    if label.starts_with("PGP") {
        let _ = writeln!(out, "={}", r.b64(4));
    }
    let _ = write!(out, "-----END {label}-----");
    out
}

fn private_key(ft: FileType, r: &mut Rng) -> Item {
    let block = pem_block(r);
    let (text, label) = match ft {
        FileType::Python => (format!("PRIVATE_KEY = \"\"\"{block}\n\"\"\""), block),
        FileType::Notebook | FileType::Bundle => {
            let one_line = block.replace('\n', "\\n");
            let text = if ft == FileType::Bundle {
                format!("privateKey:\"{one_line}\"")
            } else {
                format!("PRIVATE_KEY = \"{one_line}\"")
            };
            (text, one_line)
        }
        FileType::Yaml => {
            let indented: String = block.lines().map(|l| format!("    {l}\n")).collect();
            let label = indented.trim().to_string();
            (format!("tls:\n  key: |\n{}", indented.trim_end()), label)
        }
        FileType::Json => {
            let esc = json_str(&block);
            let label = esc[1..esc.len() - 1].to_string();
            (format!("\"ssh_key\": {esc}"), label)
        }
        FileType::Terraform => (format!("private_key = <<EOT\n{block}\nEOT"), block),
        FileType::Shell => (
            format!("cat > ~/.ssh/id_deploy <<'EOF'\n{block}\nEOF"),
            block,
        ),
        FileType::JavaScript | FileType::TypeScript => {
            (format!("const privateKey = `{block}`;"), block)
        }
        FileType::Go => (format!("\tconst signingKey = `{block}`"), block),
        _ => (format!("```\n{block}\n```"), block),
    };
    Item {
        text,
        labels: vec![("Cryptographic key".into(), label)],
    }
}

fn gcp_service_account(r: &mut Rng) -> (String, String) {
    let body = format!(
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC{}",
        base64(&r.bytes(1200), false, false)
    );
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\\n");
    for chunk in body.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).unwrap());
        pem.push_str("\\n");
    }
    pem.push_str("-----END PRIVATE KEY-----");
    let project = format!(
        "{}-{}",
        r.pick(&["vertex-prod", "ml-batch", "gemini-tuning"]),
        r.digits(6)
    );
    let text = format!(
        "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"{project}\",\n  \"private_key_id\": \"{}\",\n  \"private_key\": \"{pem}\\n\",\n  \"client_email\": \"runner@{project}.iam.gserviceaccount.com\",\n  \"client_id\": \"{}\",\n  \"auth_uri\": \"https://accounts.google.com/o/oauth2/auth\",\n  \"token_uri\": \"https://oauth2.googleapis.com/token\",\n  \"auth_provider_x509_cert_url\": \"https://www.googleapis.com/oauth2/v1/certs\",\n  \"universe_domain\": \"googleapis.com\"\n}}\n",
        r.hex(40),
        r.digits(21)
    );
    (text, pem)
}

fn database_url(ft: FileType, r: &mut Rng) -> Item {
    let scheme = *r.pick(&[
        "postgres",
        "postgresql",
        "mysql",
        "mongodb+srv",
        "rediss",
        "amqps",
    ]);
    let user = *r.pick(&["app", "svc_orders", "analytics", "admin_rw"]);
    let len = 18 + r.below(8);
    let mut pw = r.alnum(len);
    if r.chance(0.3) {
        pw.insert(r.below(pw.len()), *r.pick(&['!', '-', '_', '.', '~']));
    }
    let host = *r.pick(&[
        "db.prod.internal",
        "orders-db.c9xk2p.eu-west-1.rds.amazonaws.com",
        "cluster0.x7k2p.mongodb.net",
        "10.0.4.17",
    ]);
    let url = format!("{scheme}://{user}:{pw}@{host}:5432/main");
    let text = match ft {
        FileType::Python | FileType::Notebook => format!("engine = create_engine(\"{url}\")"),
        FileType::JavaScript | FileType::TypeScript => {
            format!("const pool = new Pool({{ connectionString: \"{url}\" }});")
        }
        FileType::Yaml => format!("database:\n  url: {url}"),
        FileType::Json => format!("\"DATABASE_URL\": \"{url}\""),
        FileType::Go => format!("\tdb, err := sql.Open(\"pgx\", \"{url}\")"),
        FileType::Java => format!("    private static final String DB_URL = \"{url}\";"),
        FileType::Terraform => format!("database_url = \"{url}\""),
        FileType::Bundle => format!("databaseUrl:\"{url}\""),
        _ => format!("DATABASE_URL={url}"),
    };
    Item {
        text,
        labels: vec![("Database".into(), pw)],
    }
}

fn azure_storage(ft: FileType, r: &mut Rng) -> Item {
    let key = format!("{}==", r.b64(86));
    let conn = format!(
        "DefaultEndpointsProtocol=https;AccountName=st{};AccountKey={key};EndpointSuffix=core.windows.net",
        r.from(LOWER, 10)
    );
    let text = match ft {
        FileType::Python | FileType::Notebook => {
            format!("blob = BlobServiceClient.from_connection_string(\"{conn}\")")
        }
        FileType::JavaScript | FileType::TypeScript => {
            format!("const blob = BlobServiceClient.fromConnectionString(\"{conn}\");")
        }
        FileType::Yaml => format!("AZURE_STORAGE_CONNECTION_STRING: \"{conn}\""),
        FileType::Json => format!("\"AzureWebJobsStorage\": \"{conn}\""),
        _ => format!("AZURE_STORAGE_CONNECTION_STRING=\"{conn}\""),
    };
    Item {
        text,
        labels: vec![("Azure Storage".into(), key)],
    }
}

// ------------------------------------------------------------------ negatives

/// A hard negative: (kind, name, value) rendered as an assignment, or a
/// free-form block (name empty).
struct Neg {
    kind: &'static str,
    name: String,
    value: String,
}

fn neg(kind: &'static str, name: impl Into<String>, value: impl Into<String>) -> Neg {
    Neg {
        kind,
        name: name.into(),
        value: value.into(),
    }
}

/// Prefix of a prefixed key (up to its last separator in the first 16
/// characters), for placeholder look-alikes.
fn key_prefix(key: &str) -> &str {
    let cut = key
        .char_indices()
        .filter(|&(_, c)| c == '-' || c == '_' || c == '.')
        .map(|(i, _)| i + 1)
        .take_while(|&i| i <= 16)
        .last()
        .unwrap_or(0)
        .min(key.len() / 2);
    &key[..cut]
}

fn negatives_for(spec: &Spec, r: &mut Rng) -> Vec<Neg> {
    let key = (spec.gen)(r);
    let var = spec.var;
    let mut out = Vec::new();
    let prefix = key_prefix(&key).to_string();
    let n = key.len().saturating_sub(prefix.len()).clamp(8, 64);
    match r.below(9) {
        0 => out.push(neg(
            "placeholder",
            var,
            format!("{prefix}{}", "x".repeat(n)),
        )),
        1 => out.push(neg("placeholder", var, format!("{prefix}..."))),
        2 => out.push(neg(
            "placeholder",
            var,
            format!("<your-{}-api-key>", spec.word),
        )),
        3 => out.push(neg("template", var, format!("${{{var}}}"))),
        4 => out.push(neg("template", var, format!("{{{{ secrets.{var} }}}}"))),
        5 => out.push(neg(
            "placeholder",
            var,
            format!("your-{}-key-here", spec.word),
        )),
        6 => {
            let seq: String = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                .chars()
                .cycle()
                .take(n)
                .collect();
            out.push(neg("sequential", var, format!("{prefix}{seq}")))
        }
        7 => out.push(neg("repeated", var, format!("{prefix}{}", "0".repeat(n)))),
        _ => out.push(neg(
            "placeholder",
            var,
            format!("{prefix}{}", "X".repeat(n)),
        )),
    }
    // A truncated or masked key, as docs and logs show them: the prefix and
    // a few characters, never more than half the key.
    let keep = (prefix.len() + 4).min(key.len() / 2);
    if r.chance(0.5) {
        out.push(neg("truncated", var, format!("{}...", &key[..keep])));
    } else {
        out.push(neg(
            "masked",
            var,
            format!("{}****{}", &key[..keep], &key[key.len() - 4..]),
        ));
    }
    out
}

fn wrong_checksum(r: &mut Rng) -> Neg {
    let prefix = *r.pick(&["ghp_", "gho_", "npm_", "ghs_"]);
    let mut tok = crc_token(prefix, r);
    let last = tok.pop().unwrap();
    tok.push(if last == 'a' { 'b' } else { 'a' });
    neg(
        "wrong checksum",
        if prefix == "npm_" {
            "NPM_TOKEN"
        } else {
            "GITHUB_TOKEN"
        },
        tok,
    )
}

fn common_negatives(r: &mut Rng) -> Neg {
    match r.below(20) {
        0 => neg(
            "hash",
            *r.pick(&["sha256", "checksum", "content_sha256"]),
            r.hex(64),
        ),
        1 => neg("hash", *r.pick(&["md5", "file_md5", "etag"]), r.hex(32)),
        2 => neg(
            "commit id",
            *r.pick(&["commit", "revision", "git_sha", "base_commit"]),
            r.hex(40),
        ),
        3 => neg(
            "uuid",
            *r.pick(&[
                "request_id",
                "trace_id",
                "tenant_id",
                "correlation_id",
                "session_id",
            ]),
            r.uuid(),
        ),
        4 => neg(
            "uuid",
            *r.pick(&["session_token", "idempotency_key", "api_key_id"]),
            r.uuid(),
        ),
        5 => neg(
            "identifier",
            *r.pick(&["token_type", "auth_scheme"]),
            *r.pick(&["bearer", "Bearer", "access_token"]),
        ),
        6 => neg(
            "identifier",
            *r.pick(&["secret_name", "secret_ref", "password_secret"]),
            *r.pick(&[
                "prod/payments/stripe-api-key",
                "projects/ml/secrets/openai-api-key/versions/latest",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-password",
            ]),
        ),
        7 => neg(
            "identifier",
            *r.pick(&["api_key_header", "token_header", "auth_header_name"]),
            *r.pick(&["X-Api-Key", "Authorization", "X-Auth-Token"]),
        ),
        8 => neg(
            "identifier",
            *r.pick(&["cache_key", "build_id", "image_tag", "nonce_prefix"]),
            r.alnum(32),
        ),
        9 => neg(
            "aws example",
            "aws_access_key_id",
            *r.pick(&["AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE"]),
        ),
        10 => neg(
            "aws example",
            "aws_secret_access_key",
            *r.pick(&[
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
            ]),
        ),
        11 => neg("public key", "SUPABASE_ANON_KEY", supabase_jwt("anon", r)),
        12 => neg(
            "public key",
            "STRIPE_PUBLISHABLE_KEY",
            format!("pk_live_51{}", r.alnum(97)),
        ),
        13 => neg(
            "template",
            *r.pick(&["api_key", "token", "password"]),
            *r.pick(&[
                "os.environ[\"API_KEY\"]",
                "process.env.API_TOKEN",
                "${DB_PASSWORD}",
                "{{ .Values.apiKey }}",
                "%(api_key)s",
                "<API_KEY>",
            ]),
        ),
        14 => neg(
            "identifier",
            *r.pick(&["password_field", "token_param"]),
            *r.pick(&["new_password_confirmation", "refresh_token_expires_in"]),
        ),
        15 => neg(
            "env-prefixed look-alike",
            *r.pick(&["test_case", "handler"]),
            format!(
                "{}_{}",
                r.pick(&["test", "prod", "dev", "ci"]),
                "handles_missing_configuration_file"
            ),
        ),
        16 => neg("hash", "integrity", format!("sha512-{}==", r.b64(86))),
        17 => neg(
            "docker digest",
            "image",
            format!("ghcr.io/corp/api@sha256:{}", r.hex(64)),
        ),
        18 => neg(
            "placeholder",
            *r.pick(&["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "api_key"]),
            *r.pick(&[
                "sk-...",
                "sk-xxxxxxxxxxxxxxxxxxxxxxxx",
                "sk-abc123...",
                "your-api-key",
                "<OPENAI_API_KEY>",
                "sk-ant-...",
            ]),
        ),
        _ => neg(
            "placeholder",
            *r.pick(&["DATABASE_URL", "db_url"]),
            *r.pick(&[
                "postgres://postgres:postgres@localhost:5432/app",
                "postgresql://user:password@localhost/db",
                "mysql://root:root@127.0.0.1:3306/test",
                "postgres://${DB_USER}:${DB_PASSWORD}@db:5432/app",
            ]),
        ),
    }
}

fn render_neg(ft: FileType, n: &Neg, r: &mut Rng) -> String {
    let (name, value) = (&n.name, &n.value);
    match ft {
        FileType::Env => format!("{name}={value}"),
        FileType::Shell => format!("export {name}=\"{value}\""),
        FileType::Python | FileType::Notebook => format!("{name} = \"{value}\""),
        FileType::JavaScript | FileType::TypeScript => {
            format!("const {} = \"{value}\";", camel(name))
        }
        FileType::Yaml => format!("{name}: \"{value}\""),
        FileType::Json => format!("\"{name}\": {}", json_str(value)),
        FileType::Terraform => format!("{} = \"{value}\"", name.to_ascii_lowercase()),
        FileType::Markdown => {
            if r.chance(0.5) {
                format!("Set `{name}` to `{value}`.")
            } else {
                format!("```\n{name}={value}\n```")
            }
        }
        FileType::Go => format!("\t{} := \"{value}\"", camel(name)),
        FileType::Java => format!("    String {} = \"{value}\";", camel(name)),
        FileType::Bundle => format!("{}:\"{value}\"", camel(name)),
    }
}

/// Free-form blocks of hard negatives; each returns (text, count).
fn lockfile_block(r: &mut Rng) -> (String, &'static str, String, usize) {
    let n = 6 + r.below(6);
    match r.below(5) {
        0 => {
            let mut s = String::from(
                "{\n  \"name\": \"web\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n",
            );
            for i in 0..n {
                let _ = writeln!(
                    s,
                    "    \"node_modules/pkg-{i}\": {{\n      \"version\": \"1.{i}.0\",\n      \"resolved\": \"https://registry.npmjs.org/pkg-{i}/-/pkg-{i}-1.{i}.0.tgz\",\n      \"integrity\": \"sha512-{}==\"\n    }},",
                    r.b64(86)
                );
            }
            s.push_str("    \"\": {}\n  }\n}\n");
            ("package-lock.json".into(), "lockfile integrity", s, n)
        }
        1 => {
            let mut s = String::from("# yarn lockfile v1\n\n");
            for i in 0..n {
                let _ = writeln!(
                    s,
                    "pkg-{i}@^2.{i}.0:\n  version \"2.{i}.1\"\n  resolved \"https://registry.yarnpkg.com/pkg-{i}/-/pkg-{i}-2.{i}.1.tgz#{}\"\n  integrity sha512-{}==\n",
                    r.hex(40),
                    r.b64(86)
                );
            }
            ("yarn.lock".into(), "lockfile integrity", s, n)
        }
        2 => {
            let mut s =
                String::from("# This file is automatically @generated by Cargo.\nversion = 4\n\n");
            for i in 0..n {
                let _ = writeln!(
                    s,
                    "[[package]]\nname = \"crate-{i}\"\nversion = \"0.{i}.3\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
                    r.hex(64)
                );
            }
            ("Cargo.lock".into(), "lockfile integrity", s, n)
        }
        3 => {
            let mut s = String::new();
            for i in 0..n {
                let _ = writeln!(
                    s,
                    "github.com/corp/mod{i} v1.{i}.0 h1:{}=\ngithub.com/corp/mod{i} v1.{i}.0/go.mod h1:{}=",
                    r.b64(43),
                    r.b64(43)
                );
            }
            ("go.sum".into(), "lockfile integrity", s, 2 * n)
        }
        _ => {
            let mut s = String::new();
            for i in 0..n {
                let _ = writeln!(
                    s,
                    "[[package]]\nname = \"lib{i}\"\nversion = \"3.{i}.0\"\nfiles = [\n    {{file = \"lib{i}-3.{i}.0-py3-none-any.whl\", hash = \"sha256:{}\"}},\n]\n",
                    r.hex(64)
                );
            }
            ("poetry.lock".into(), "lockfile integrity", s, n)
        }
    }
}

fn image_block(r: &mut Rng) -> (String, usize) {
    let n = 1 + r.below(3);
    let mut s = String::from(".logo {\n");
    for _ in 0..n {
        let len = 300 + r.below(900);
        let png = format!(
            "iVBORw0KGgoAAAANSUhEUgAA{}",
            base64(&r.bytes(len), false, true)
        );
        let _ = writeln!(
            s,
            "  background-image: url(\"data:image/png;base64,{png}\");"
        );
    }
    s.push_str("}\n");
    (s, n)
}

fn public_key_block(r: &mut Rng) -> (String, usize) {
    let cert = base64(&r.bytes(600), false, true);
    let mut s = String::from("-----BEGIN CERTIFICATE-----\n");
    for c in cert.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(c).unwrap());
        s.push('\n');
    }
    s.push_str("-----END CERTIFICATE-----\n");
    let _ = writeln!(
        s,
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{} deploy@ci",
        r.b64(43)
    );
    let pubkey = base64(&r.bytes(270), false, true);
    s.push_str("-----BEGIN PUBLIC KEY-----\n");
    for c in pubkey.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(c).unwrap());
        s.push('\n');
    }
    s.push_str("-----END PUBLIC KEY-----\n");
    (s, 3)
}

fn prose_block(r: &mut Rng) -> (String, usize) {
    let s = format!(
        "Fixed in commit {} (see {}). The request id was {} and the build\nartifact sha256 is {}. Our Gemini quickstart uses `AIzaSy...` as the key\nplaceholder and `sk-proj-...` for OpenAI; never paste a real `ghp_` token.\ndef test_parses_configuration_without_errors(): pass\n",
        r.hex(40),
        r.hex(12),
        r.uuid(),
        r.hex(64)
    );
    (s, 6)
}

fn minified_noise(r: &mut Rng) -> (String, usize) {
    let mut s = String::new();
    let n = 8 + r.below(8);
    for i in 0..n {
        let _ = write!(
            s,
            "var {}=function(e,t){{return e.{}(t,\"{}\")}};",
            r.from(LOWER_LETTERS, 2),
            r.from(LETTERS, 6),
            match i % 4 {
                0 => format!("chunk-{}", r.hex(8)),
                1 => r.uuid(),
                2 => format!("sha384-{}", r.b64(64)),
                _ => r.hex(20),
            }
        );
    }
    (s, n)
}

// ------------------------------------------------------------------ assembly

fn header(ft: FileType) -> &'static str {
    match ft {
        FileType::Python => "import os\nfrom openai import OpenAI\n\n",
        FileType::JavaScript => "import OpenAI from \"openai\";\n\n",
        FileType::TypeScript => "import OpenAI from \"openai\";\n\n",
        FileType::Go => "package main\n\nimport (\n\t\"os\"\n)\n\nfunc init() {\n",
        FileType::Java => {
            "package com.corp;\n\npublic final class Config {\n    static void load() {\n"
        }
        FileType::Terraform => "terraform {\n  required_version = \">= 1.6\"\n}\n\n",
        FileType::Markdown => "# Setup\n\nThese notes describe the service configuration.\n\n",
        FileType::Shell => "#!/usr/bin/env bash\nset -euo pipefail\n\n",
        FileType::Yaml => "# Helm values\nreplicaCount: 2\n",
        FileType::Env => "# local settings\nLOG_LEVEL=info\n",
        FileType::Bundle => "/*! app v2.3.1 */(()=>{\"use strict\";var e={",
        FileType::Json | FileType::Notebook => "",
    }
}

fn footer(ft: FileType) -> &'static str {
    match ft {
        FileType::Go => "}\n",
        FileType::Java => "    }\n}\n",
        FileType::Bundle => "};console.log(e)})();\n",
        _ => "",
    }
}

/// Join items into a file of type `ft`.
fn assemble(ft: FileType, parts: &[String]) -> String {
    match ft {
        FileType::Json => {
            let body: Vec<String> = parts
                .iter()
                .map(|p| format!("  {}", p.replace('\n', "\n  ")))
                .collect();
            format!("{{\n{}\n}}\n", body.join(",\n"))
        }
        FileType::Notebook => {
            let mut cells = Vec::new();
            for p in parts {
                let lines: Vec<String> = p.lines().map(|l| json_str(&format!("{l}\n"))).collect();
                cells.push(format!(
                    "  {{\n   \"cell_type\": \"code\",\n   \"execution_count\": 1,\n   \"metadata\": {{}},\n   \"outputs\": [],\n   \"source\": [\n    {}\n   ]\n  }}",
                    lines.join(",\n    ")
                ));
            }
            format!(
                "{{\n \"cells\": [\n{}\n ],\n \"metadata\": {{\"kernelspec\": {{\"name\": \"python3\"}}}},\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}}\n",
                cells.join(",\n")
            )
        }
        FileType::Bundle => format!("{}{}{}", header(ft), parts.join(","), footer(ft)),
        _ => format!("{}{}\n{}", header(ft), parts.join("\n\n"), footer(ft)),
    }
}

/// How a label appears in a file of type `ft`: notebooks hold their
/// source as JSON strings (the scanner decodes them, so labels stay in the
/// decoded form; this is only for checking that a label is in its file).
pub fn in_file(path: &str, s: &str) -> String {
    if path.ends_with(".ipynb") {
        let e = json_str(s);
        e[1..e.len() - 1].to_string()
    } else {
        s.to_string()
    }
}

/// Generate the corpus for `seed`.
pub fn generate(seed: u64) -> Corpus {
    let mut r = Rng::new(seed);
    let specs = specs();
    let mut corpus = Corpus::default();

    // Items: three keys of every format, plus the special ones.
    enum Planned {
        Key(usize),
        Aws,
        Pem,
        DbUrl,
        AzureStorage,
    }
    let mut planned = Vec::new();
    for round in 0..3 {
        for i in 0..specs.len() {
            planned.push(Planned::Key(i));
        }
        let _ = round;
        for _ in 0..2 {
            planned.push(Planned::Aws);
            planned.push(Planned::Pem);
            planned.push(Planned::DbUrl);
        }
        planned.push(Planned::AzureStorage);
    }
    // Shuffle.
    for i in (1..planned.len()).rev() {
        let j = r.below(i + 1);
        planned.swap(i, j);
    }

    let mut file_no = 0;
    let mut idx = 0;
    while idx < planned.len() {
        let ft = *r.pick(FILE_TYPES);
        let take = (2 + r.below(6)).min(planned.len() - idx);
        let mut parts = Vec::new();
        let mut labels = Vec::new();
        for p in &planned[idx..idx + take] {
            let item = match p {
                Planned::Key(i) => {
                    let spec = &specs[*i];
                    let key = (spec.gen)(&mut r);
                    Item {
                        text: render_key(ft, spec, &key, &mut r),
                        labels: vec![(spec.provider.to_string(), key)],
                    }
                }
                Planned::Aws => aws_pair(ft, &mut r),
                Planned::Pem => private_key(ft, &mut r),
                Planned::DbUrl => database_url(ft, &mut r),
                Planned::AzureStorage => azure_storage(ft, &mut r),
            };
            parts.push(item.text);
            labels.extend(item.labels);
            // Interleave a hard negative or two.
            for _ in 0..r.below(3) {
                let n = if r.chance(0.5) {
                    let s = &specs[r.below(specs.len())];
                    negatives_for(s, &mut r).remove(0)
                } else {
                    common_negatives(&mut r)
                };
                parts.push(render_neg(ft, &n, &mut r));
                corpus.count_negative(n.kind);
            }
        }
        idx += take;
        let path = ft.path(file_no);
        file_no += 1;
        let text = assemble(ft, &parts);
        for (provider, secret) in labels {
            debug_assert!(
                text.contains(&in_file(&path, &secret)),
                "{path}: label not in file"
            );
            corpus.labels.push(Label {
                path: path.clone(),
                provider,
                secret,
            });
        }
        corpus.files.push((path, text));
    }

    // Service-account JSON files (Vertex AI credentials).
    for i in 0..4 {
        let (text, pem) = gcp_service_account(&mut r);
        let path = format!("credentials/vertex-sa-{i}.json");
        corpus.labels.push(Label {
            path: path.clone(),
            provider: "Google Cloud".into(),
            secret: pem,
        });
        corpus.files.push((path, text));
    }

    // Negative-only files: every format's placeholders and look-alikes.
    let mut neg_no = 0;
    let mut pending: Vec<Neg> = Vec::new();
    for s in &specs {
        pending.extend(negatives_for(s, &mut r));
    }
    for _ in 0..140 {
        pending.push(common_negatives(&mut r));
    }
    for _ in 0..20 {
        pending.push(wrong_checksum(&mut r));
    }
    while !pending.is_empty() {
        let ft = *r.pick(FILE_TYPES);
        let take = (6 + r.below(10)).min(pending.len());
        let parts: Vec<String> = pending
            .drain(..take)
            .map(|n| {
                corpus.count_negative(n.kind);
                render_neg(ft, &n, &mut r)
            })
            .collect();
        let path = format!("negatives/{}", ft.path(neg_no));
        neg_no += 1;
        corpus.files.push((path, assemble(ft, &parts)));
    }
    for i in 0..10 {
        let (name, kind, text, n) = lockfile_block(&mut r);
        corpus.files.push((format!("locks{i}/{name}"), text));
        for _ in 0..n {
            corpus.count_negative(kind);
        }
    }
    for i in 0..6 {
        let (text, n) = image_block(&mut r);
        corpus.files.push((format!("web{i}/src/logo.css"), text));
        for _ in 0..n {
            corpus.count_negative("base64 image");
        }
        let (text, n) = public_key_block(&mut r);
        corpus.files.push((format!("certs{i}/bundle.pem"), text));
        for _ in 0..n {
            corpus.count_negative("public key or certificate");
        }
        let (text, n) = prose_block(&mut r);
        corpus.files.push((format!("docs/changelog_{i}.md"), text));
        for _ in 0..n {
            corpus.count_negative("prose (hashes, ids, doc placeholders)");
        }
        let (text, n) = minified_noise(&mut r);
        corpus.files.push((format!("dist/vendor-{i}.min.js"), text));
        for _ in 0..n {
            corpus.count_negative("minified code");
        }
    }
    corpus
}

/// Whether a finding's secret accounts for a label: equal, or (for
/// multi-part secrets such as a key pair or a PEM block) containing it.
pub fn matches(finding_secret: &str, label_secret: &str) -> bool {
    finding_secret == label_secret || finding_secret.contains(label_secret)
}

/// Whether a finding holds the labelled secret: as its secret, or as one
/// of its parts (an AWS key id next to its secret access key).
pub fn finding_matches(f: &keyscan::finding::Finding, label_secret: &str) -> bool {
    matches(&f.secret, label_secret) || f.parts.iter().any(|p| matches(&p.value, label_secret))
}

// ------------------------------------------------------------------ scoring

/// Counts for one provider.
#[derive(Debug, Default, Clone)]
pub struct Score {
    /// Labelled keys of this provider.
    pub keys: usize,
    /// Of those, found by some finding.
    pub found: usize,
    /// Of those, found by a finding naming this provider (or, for generic
    /// values, any rule).
    pub attributed: usize,
    /// Findings whose rule names this provider.
    pub findings: usize,
    /// Of those, findings that match no labelled key.
    pub false_positives: usize,
}

impl Score {
    /// found / keys (1 when there are no keys).
    pub fn recall(&self) -> f64 {
        if self.keys == 0 {
            1.0
        } else {
            self.found as f64 / self.keys as f64
        }
    }

    /// true findings / findings (1 when there are no findings).
    pub fn precision(&self) -> f64 {
        if self.findings == 0 {
            1.0
        } else {
            (self.findings - self.false_positives) as f64 / self.findings as f64
        }
    }
}

/// The outcome of scanning a corpus.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// Per provider, sorted by name.
    pub providers: Vec<(String, Score)>,
    /// All providers together.
    pub total: Score,
    /// Labels no finding accounted for.
    pub misses: Vec<Label>,
    /// Findings that account for no label: (path, rule id, secret).
    pub false_positives: Vec<(String, String, String)>,
    /// Labels found only under another provider's name: (label, rule ids).
    pub misattributed: Vec<(Label, Vec<String>)>,
    /// Findings that say their rule's check failed (a token whose checksum
    /// does not match, reported at low confidence as a sample): not claims
    /// of a key, counted apart. (path, rule id, secret).
    pub flagged_samples: Vec<(String, String, String)>,
}

/// Scan every file of `corpus` with the built-in rules and score the result.
pub fn evaluate(corpus: &Corpus) -> Evaluation {
    use keyscan::config::Config;
    use keyscan::detect::Detector;
    use keyscan::rules::RuleSet;
    use keyscan::scan::{Engine, ScanOptions};
    use std::collections::BTreeMap;

    let rules = RuleSet::builtin().expect("built-in rules load");
    let detector = Detector::new(rules).expect("detector builds");
    let engine = Engine::new(detector, Config::default(), ScanOptions::default());
    let mut scores: BTreeMap<String, Score> = BTreeMap::new();
    let mut eval = Evaluation::default();
    for (path, text) in &corpus.files {
        let findings = engine.scan_bytes(path, text.as_bytes());
        let labels: Vec<&Label> = corpus.labels.iter().filter(|l| &l.path == path).collect();
        for l in &labels {
            let s = scores.entry(l.provider.clone()).or_default();
            s.keys += 1;
            let hits: Vec<_> = findings
                .iter()
                .filter(|f| finding_matches(f, &l.secret))
                .collect();
            if hits.is_empty() {
                eval.misses.push((*l).clone());
                continue;
            }
            s.found += 1;
            if l.provider == "Generic" || hits.iter().any(|f| f.provider == l.provider) {
                s.attributed += 1;
            } else {
                eval.misattributed.push((
                    (*l).clone(),
                    hits.iter().map(|f| f.rule_id.clone()).collect(),
                ));
            }
        }
        for f in &findings {
            let labelled = labels.iter().any(|l| finding_matches(f, &l.secret));
            let sample = f
                .notes()
                .iter()
                .any(|n| n.starts_with(keyscan::rules::checks::FAILED_CHECK_NOTE));
            if sample && !labelled {
                eval.flagged_samples
                    .push((path.clone(), f.rule_id.clone(), f.secret.clone()));
                continue;
            }
            let s = scores.entry(f.provider.clone()).or_default();
            s.findings += 1;
            if !labelled {
                s.false_positives += 1;
                eval.false_positives
                    .push((path.clone(), f.rule_id.clone(), f.secret.clone()));
            }
        }
    }
    for s in scores.values() {
        eval.total.keys += s.keys;
        eval.total.found += s.found;
        eval.total.attributed += s.attributed;
        eval.total.findings += s.findings;
        eval.total.false_positives += s.false_positives;
    }
    eval.providers = scores.into_iter().collect();
    eval
}
