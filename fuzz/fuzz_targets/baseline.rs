//! The baseline reader on arbitrary text: `Baseline::parse` returns a value
//! or an error naming the file; a baseline that parses survives a round
//! trip through its own JSON writer.
#![no_main]

use keyscan::filter::baseline::Baseline;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Baseline::parse("baseline.json", text) {
        Ok(b) => {
            let again = Baseline::parse("baseline.json", &b.to_json()).expect("round trip");
            assert_eq!(b.entries.len(), again.entries.len());
            let mut findings = Vec::new();
            let _ = b.filter(&mut findings);
            let _ = b.prune(&findings);
        }
        Err(e) => assert!(e.to_string().starts_with("baseline.json: "), "{e}"),
    }
});
