//! The generic check: a value assigned to a secret-like name is a secret
//! when it looks random (entropy floors per charset) and is not a hash, a
//! UUID, an identifier or words. What the name must not say and which file
//! extensions make a file name are the rule's data (see
//! [`crate::rules::data`]).

/// See [`crate::rules::Check::GenericSecret`].
pub fn ok(secret: &[u8]) -> bool {
    use crate::entropy::{charset, mixed_classes, reads_like_words, shannon, Charset};
    if is_reference_or_hash(secret) {
        return false;
    }
    if secret.len() < 16 {
        return short_ok(secret, 6);
    }
    // 16 to 19 characters: entropy still says little (a random 16-character
    // alphanumeric value scores 3.3 to 4.0), so a value the entropy floor
    // below would refuse passes when it reads as a short random value with
    // half its characters distinct.
    if secret.len() < 20 && short_ok(secret, 5) {
        return true;
    }
    if is_uuid(secret)
        || looks_like_identifier(secret)
        || looks_like_words(secret)
        || (charset(secret) != Charset::Hex && reads_like_words(secret))
        || inner_equals(secret)
    {
        return false;
    }
    let e = shannon(secret);
    if !secret.iter().any(u8::is_ascii_alphabetic) {
        return false;
    }
    if !secret.iter().any(u8::is_ascii_digit) {
        // Letters only: both cases at random, or one case reading like no
        // words (which the charset floors below would refuse for its one
        // character class).
        if random_one_case(secret, e) {
            return true;
        }
        if !random_letters(secret, e) {
            return false;
        }
    }
    if let Some(body) = separated_hex(secret) {
        return body.len() >= 20 && shannon(&body) >= 3.0;
    }
    match charset(secret) {
        Charset::Hex => secret.len() >= 20 && e >= 3.0,
        Charset::Alphanumeric => mixed_classes(secret) >= 2 && e >= 3.5,
        Charset::Base64 | Charset::Other => e >= 3.7,
    }
}

/// A value of 10 to 19 characters (OAuth 1.0 consumer keys, TOTP seeds and
/// short API keys): too short for entropy to tell, so it must mix letters
/// and digits, repeat few characters (at least `min_distinct_tenths` tenths
/// of them distinct), and not read like words or a version.
fn short_ok(s: &[u8], min_distinct_tenths: usize) -> bool {
    use crate::entropy::{letter_trigrams, shannon};
    if s.len() < 10
        || !s
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"_-".contains(b))
    {
        return false;
    }
    let digits = s.iter().filter(|b| b.is_ascii_digit()).count();
    let letters = s.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let distinct = crate::entropy::distinct(s);
    let (common, trigrams) = letter_trigrams(s);
    let upper = s.iter().filter(|b| b.is_ascii_uppercase()).count();
    let lower = s.iter().filter(|b| b.is_ascii_lowercase()).count();
    (digits >= 2 || (digits == 1 && upper >= 2 && lower >= 2) || mixed_case_flips(s))
        && letters >= 3
        && distinct * 10 >= s.len() * min_distinct_tenths
        && shannon(s) >= 2.4
        && !(trigrams >= 3 && common * 2 >= trigrams)
        && !looks_like_identifier(s)
        && !looks_like_words(s)
        // Four characters counting up or down (`1234`, `abcd`): typed by a
        // person, not drawn at random.
        && !crate::rules::placeholder::has_sequence(s, 4)
}

/// A short value of letters only whose case changes as often as a random
/// draw's (`nIQtXFybDD`), not a word's or an identifier's: both cases three
/// times or more, the case flips between more than half of neighbouring
/// letters, and it is not written in camel case.
fn mixed_case_flips(s: &[u8]) -> bool {
    if !s.iter().all(u8::is_ascii_alphabetic) {
        return false;
    }
    let upper = s.iter().filter(|b| b.is_ascii_uppercase()).count();
    let lower = s.len() - upper;
    let flips = s
        .windows(2)
        .filter(|w| w[0].is_ascii_uppercase() != w[1].is_ascii_uppercase())
        .count();
    // Every capital starting a lower-case run is how names are written
    // (`MyAppSecretKey`); a random draw puts capitals side by side or last.
    let camel = s
        .iter()
        .enumerate()
        .all(|(i, b)| !b.is_ascii_uppercase() || s.get(i + 1).is_some_and(u8::is_ascii_lowercase));
    upper >= 3 && lower >= 3 && flips * 2 > s.len() - 1 && !camel
}

/// A long value of letters (and a few base64 symbols) with no digit that
/// still looks random rather than like a camelCase or ALL-CAPS identifier:
/// upper and lower case each make up at least 30% of its letters, the case
/// flips between neighbouring letters at least 40% of the time (words flip
/// about once in four letters, random text once in two), and its entropy is
/// high. A random 32-character alphanumeric key has no digit about once in
/// 300; this keeps most of those.
fn random_letters(s: &[u8], entropy: f64) -> bool {
    let upper = s.iter().filter(|b| b.is_ascii_uppercase()).count();
    let lower = s.iter().filter(|b| b.is_ascii_lowercase()).count();
    let letters = upper + lower;
    let symbols_ok = s
        .iter()
        .all(|&b| b.is_ascii_alphabetic() || matches!(b, b'+' | b'/' | b'_' | b'-' | b'='));
    let pairs = s
        .windows(2)
        .filter(|w| w[0].is_ascii_alphabetic() && w[1].is_ascii_alphabetic());
    let (mut n, mut flips) = (0, 0);
    for w in pairs {
        n += 1;
        flips += usize::from(w[0].is_ascii_uppercase() != w[1].is_ascii_uppercase());
    }
    s.len() >= 20
        && symbols_ok
        && letters * 5 >= s.len() * 4
        && upper * 10 >= letters * 3
        && lower * 10 >= letters * 3
        && flips * 10 >= n * 4
        && entropy >= letters_entropy_floor(s.len())
}

/// A long value of letters of one case that reads like no words: at
/// least 24 letters, few of its letter trigrams common in code (a random
/// draw has about 7%, the 99th percentile 27%; words and names joined
/// together over 60%), no counting run, and the entropy 19 in 20 random
/// draws of that length reach (`jhpswiebwhbrnabgkbvczrwcyxblxtyv…`).
fn random_one_case(s: &[u8], entropy: f64) -> bool {
    let lower = s.iter().all(u8::is_ascii_lowercase);
    let upper = s.iter().all(u8::is_ascii_uppercase);
    if s.len() < 24 || !(lower || upper) {
        return false;
    }
    // Trigrams are looked up case-folded.
    let (common, trigrams) = crate::entropy::letter_trigrams(s);
    let floor = (3.55 + 0.03 * (s.len() - 24) as f64).min(4.0);
    common * 4 <= trigrams && entropy >= floor && !crate::rules::placeholder::has_sequence(s, 4)
}

/// The entropy 19 in 20 random draws of `len` letters of both cases reach:
/// a short draw repeats letters, so 4.2 (the floor from 32 characters on)
/// refused half of the random 24-letter values.
fn letters_entropy_floor(len: usize) -> f64 {
    (3.45 + 0.06 * (len.saturating_sub(16) as f64)).min(4.2)
}

/// Hex digits split by dashes (`868074dd-060311910ab3d6991611bccf`) or
/// after a short version tag (`v1.` and 40 hex digits, a GitHub App
/// installation token's older form): the digits without the separators,
/// judged by the hex floor, which the separators would otherwise raise to
/// the base64 one. `None` for anything else.
fn separated_hex(s: &[u8]) -> Option<Vec<u8>> {
    let tag = match s {
        [b'v' | b'V', d, b'.' | b'_' | b'-', ..] if d.is_ascii_digit() => 3,
        _ => 0,
    };
    let body = &s[tag..];
    let dashes = body.iter().filter(|&&b| b == b'-').count();
    if (tag == 0 && dashes == 0)
        || body.first() == Some(&b'-')
        || body.last() == Some(&b'-')
        || !body.iter().all(|&b| b.is_ascii_hexdigit() || b == b'-')
    {
        return None;
    }
    let digits: Vec<u8> = body.iter().copied().filter(|&b| b != b'-').collect();
    // Hex of one case: a random lower-case hex run, not words such as
    // `deadbeef-cafe-face`.
    let letters_digits =
        digits.iter().any(u8::is_ascii_digit) && digits.iter().any(u8::is_ascii_alphabetic);
    let one_case =
        !digits.iter().any(u8::is_ascii_lowercase) || !digits.iter().any(u8::is_ascii_uppercase);
    (letters_digits && one_case).then_some(digits)
}

/// An `=` anywhere but in trailing base64 padding: `cast_to=httpx.Response`
/// is code, not a key.
fn inner_equals(s: &[u8]) -> bool {
    let body = s
        .strip_suffix(b"==")
        .or_else(|| s.strip_suffix(b"="))
        .unwrap_or(s);
    body.contains(&b'=')
}

/// Split `s` into the humps a person writes names with: runs of digits,
/// capitalised or lower-case words, and acronyms of up to 4 capitals
/// (`v4Internal.AmzSecurityTokenKey` → v 4 Internal Amz Security Token Key).
/// Returns (letters in humps that read like words, letters). A hump reads
/// like a word when it has 3 to 14 letters and vowels (at least one, and a
/// quarter of a hump of 6 or more); an acronym when it has a vowel.
fn word_letters(s: &[u8]) -> (usize, usize) {
    let vowels = |h: &[u8]| h.iter().filter(|b| b"aeiouyAEIOUY".contains(b)).count();
    let (mut wordy, mut letters) = (0, 0);
    let mut i = 0;
    while i < s.len() {
        if !s[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        if s[i].is_ascii_uppercase() {
            let mut j = i;
            while j < s.len() && s[j].is_ascii_uppercase() {
                j += 1;
            }
            if j - i > 1 {
                // An acronym; its last capital starts the next word when a
                // lower-case letter follows (`TTLHeader` → TTL Header).
                let end = if j < s.len() && s[j].is_ascii_lowercase() {
                    j - 1
                } else {
                    j
                };
                let hump = &s[start..end];
                letters += hump.len();
                if (2..=4).contains(&hump.len()) && vowels(hump) > 0 {
                    wordy += hump.len();
                }
                i = end;
                continue;
            }
            i += 1;
        }
        while i < s.len() && s[i].is_ascii_lowercase() {
            i += 1;
        }
        let hump = &s[start..i];
        letters += hump.len();
        let v = vowels(hump);
        if (3..=14).contains(&hump.len()) && v > 0 && (hump.len() < 6 || v * 4 >= hump.len()) {
            wordy += hump.len();
        }
    }
    (wordy, letters)
}

/// A value made of words (`SecretName-6RandomCharacters`,
/// `v4Internal.AmzCredentialKey`): nine letters in ten sit in word-like
/// humps. Random keys break into short humps without vowels; one random
/// 24-character alphanumeric key in about 1,500 reads as words.
fn looks_like_words(s: &[u8]) -> bool {
    let (wordy, letters) = word_letters(s);
    letters >= 8 && wordy * 10 >= letters * 9
}

/// A value that starts with `$` (a shell or template variable such as
/// `$API_TOKEN`, a crypt hash such as `$2b$12$…` or `$argon2id$…`), or that
/// holds a `${…}` or `$(…)` substitution.
fn is_reference_or_hash(s: &[u8]) -> bool {
    s.first() == Some(&b'$')
        || s.windows(2).any(|w| w == b"${" || w == b"$(")
        || (s.len() <= 18 && (s.starts_with(b"0x") || s.starts_with(b"0X")))
}

/// `8-4-4-4-12` hex.
fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// A dotted or snake/kebab-case reference such as `settings.SECRET_KEY`,
/// `config.api.token` or `my-app-token-v2`: words only, no random run.
fn looks_like_identifier(s: &[u8]) -> bool {
    let words = s
        .split(|&b| matches!(b, b'.' | b'_' | b'-' | b'/'))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>();
    words.len() >= 2
        && words.iter().all(|w| {
            w.len() <= 12
                && reads_as_a_name_part(w)
                && (w
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                    || w.iter()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                    || (w[0].is_ascii_uppercase() && w[1..].iter().all(u8::is_ascii_lowercase)))
        })
}

/// A part of a name: a number, a part of up to 7 characters (`v2`,
/// `V1001`, `ovn4nfv`), or letters with vowels among them and digits, if
/// any, only at the end (`password`, `sha256`), not a random run of 8 or
/// more (`cebdct6bwobn`).
fn reads_as_a_name_part(w: &[u8]) -> bool {
    if w.len() <= 7 || w.iter().all(u8::is_ascii_digit) {
        return true;
    }
    let letters_end = w.iter().position(u8::is_ascii_digit).unwrap_or(w.len());
    let (letters, digits) = w.split_at(letters_end);
    let vowels = letters
        .iter()
        .filter(|b| b"aeiouyAEIOUY".contains(b))
        .count();
    digits.iter().all(u8::is_ascii_digit) && vowels * 5 >= letters.len() && vowels > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_values_that_are_code_or_words() {
        for v in [
            &b"cast_to=httpx2.Response"[..],
            b"v4Internal.AmzSecurityTokenKey",
            b"SecretName-6RandomCharacters",
            b"my-app-token-v2",
            b"config.api.token_sha256",
            b"$SECRET_TOKEN_FROM_ENVIRONMENT",
            b"$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        ] {
            assert!(!ok(v), "{}", String::from_utf8_lossy(v));
        }
        for v in [
            &b"QSr6rz24LpOqJ3OpuLIEi2NvSBbI1rmA"[..],
            b"NfiglJ5m7yyPhcothuTUjVBIPrDKjawz4MOuXM+Y",
            b"oUpHW0mzoQscjnvIcruciLSMLhWQXdQm",
            b"whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=",
            // A user id and a random part: no name.
            b"428004849-cebdct6bwobn",
        ] {
            assert!(ok(v), "{}", String::from_utf8_lossy(v));
        }
    }

    #[test]
    fn short_generic_values() {
        for v in [
            &b"j49sk3j29djd"[..],
            b"qbxvkjk5la7mjp6",
            b"68c39cbd8d",
            b"33c53cd7bb",
            b"EbnJO3bwmX",
            // Letters only, the case flipping as often as a random draw's.
            b"nIQtXFybDD",
            b"qWeRtZuIoPaS",
        ] {
            assert!(ok(v), "{}", String::from_utf8_lossy(v));
        }
        for v in [
            // Letters only, cased like words or identifiers.
            &b"DaJuiceBrush"[..],
            b"WashMeBrush",
            b"NgdfaXasARggr",
            b"MyAppSecretKey",
            b"ABCDEFGHIJabcdef",
            b"1234567898765432",
            b"password123",
            b"masterkey",
            b"api_password",
            b"v1_2_3_release",
            b"secret12345",
            b"aaaa1111bbbb",
            b"012345abcdef",
            b"test123456",
            b"456abcdef123",
        ] {
            assert!(!ok(v), "{}", String::from_utf8_lossy(v));
        }
    }

    /// 16 to 19 characters with few distinct ones: entropy alone refused
    /// these; the short-value reading takes them, and still refuses words,
    /// counting and versions of that length.
    #[test]
    fn generic_values_of_sixteen_to_nineteen_characters() {
        for v in [
            &b"w7qq2kd9xw3kq7zp"[..],
            b"m3n0pq0m3zr9n0v8rr",
            b"vb8tt3hx8vb2kk9h",
        ] {
            assert!(crate::entropy::shannon(v) < 3.5);
            assert!(ok(v), "{}", String::from_utf8_lossy(v));
        }
        for v in [
            &b"access-token-123"[..],
            b"1234567890abcdefgh",
            b"release_v2_build_17",
            b"aaaa1111bbbb2222",
            b"settings_secret_2",
        ] {
            assert!(!ok(v), "{}", String::from_utf8_lossy(v));
        }
    }

    #[test]
    fn generic_values_without_digits() {
        assert!(ok(b"kBCJmPZLJHOZASgRrpRDwHMMloZmyFbo",));
        assert!(!ok(b"ThisIsAVeryLongCamelCaseIdentifierName",));
        assert!(!ok(b"HTTPRequestHandlerFactoryXML",));
        // 24 letters of both cases: 4.2 bits refused half of such draws.
        assert!(ok(b"YyLcsHCRuVcOqqCBXnrxnnvJ"));
        // One case, drawn at random, against words and names run together.
        assert!(ok(b"qlowmgtiprvohotagcnhgwxhhzoopusblnbptqxc"));
        assert!(ok(b"QQWMSNMYOHLRHRAPWXUDKJGPBMODAFGP"));
        let words: [&[u8]; 5] = [
            b"storageaccountkeybase64encoded",
            b"mysupersecretpasswordforthedatabase",
            b"abcdefghijklmnopqrstuvwxyz",
            b"xxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            b"THISISNOTAREALSECRETKEYATALL",
        ];
        let passed: Vec<String> = words
            .iter()
            .filter(|v| ok(v))
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        assert!(passed.is_empty(), "{passed:?}");
    }
}
