//! The engine the fuzz targets share: the full built-in rule pack with
//! default options, built once.

use std::sync::OnceLock;

use keyscan::config::Config;
use keyscan::detect::Detector;
use keyscan::rules::RuleSet;
use keyscan::scan::{Engine, ScanOptions};

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let rules = RuleSet::builtin().expect("built-in rules");
        let detector = Detector::new(rules).expect("detector");
        Engine::new(detector, Config::default(), ScanOptions::default())
    })
}
