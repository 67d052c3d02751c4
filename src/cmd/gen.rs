//! `totsugo gen`: synthetic registry, rosters, insurance file and truth, at any scale.

use crate::error::Error;
use crate::exit::Outcome;
use crate::log::Log;
use crate::synth::{self, GenConfig, GenOutputs};

pub fn run(cfg: &GenConfig, outputs: GenOutputs, log: &mut Log) -> Result<Outcome, Error> {
    if cfg.problem_rate + cfg.variation_rate > 1.0 {
        return Err(Error::Usage(
            "--problem-rate と --variation-rate の和は 1 以下です".into(),
        ));
    }
    let started = std::time::Instant::now();
    let stats = synth::run_with(cfg, outputs)?;
    let secs = started.elapsed().as_secs_f64();
    let insurance = if outputs.insurance {
        format!("、他制度資格 {} 行", stats.insurance_rows)
    } else {
        String::new()
    };
    log.info(format!(
        "住基 {} 行、名簿 {} 行（{} ファイル）{insurance}、正解 {} 件を {:.1} 秒で書きました → {}",
        stats.registry_rows,
        stats.roster_rows,
        cfg.offices,
        stats.truth.values().sum::<u64>(),
        secs,
        cfg.out.display()
    ));
    Ok(Outcome { worst: None })
}
