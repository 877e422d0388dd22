"""The stored model of a run in words: label counts, validation figures, weights."""

from __future__ import annotations

from filature.learning.records import ModelRecord


def _figure(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def model_report(record: ModelRecord) -> list[str]:
    """Lines describing the model: what it learnt from and how well it validated."""
    fitted = f"{record.fitted_at:%Y-%m-%d %H:%M %Z}"
    lines = [f"model {record.model_id} on run {record.run_id}, fitted {fitted}: {record.status}",
             f"labels in the run: {record.positives} confirmed, {record.negatives} cleared "
             f"({record.labels_outside_run} label(s) name senders absent from the run)"]
    if record.status != "fitted":
        lines.append(f"no model: {record.reason}")
        return lines
    v = record.validation
    lines += [
        f"targets ordered by: {record.ranking} (model re-orders the top {record.pool} of the "
        "indicator score)",
        f"cross-validated ({v['folds']} folds x {v['repeats']}), on senders the model was not "
        "fitted on:",
        f"  AUC {_figure(v['auc'])} (indicator score on the same labels: "
        f"{_figure(v['indicator_auc'])})",
        f"  precision at the labelled top {_figure(v['precision_at_labelled_top'])} "
        f"(indicator score: {_figure(v['indicator_precision_at_labelled_top'])})",
        f"  Brier score {_figure(v['brier'])} (0 perfect, 0.25 a coin toss)",
        "  reliability (predicted vs observed, by band):",
    ]
    for b in v["reliability"]:
        lines.append(f"    {b['low']:.1f}-{b['high']:.1f}: {b['senders']} label(s), predicted "
                     f"{b['mean_probability']:.2f}, observed {b['observed_rate']:.2f}")
    lines.append(f"weights (log-odds per standard deviation, L2 penalty "
                 f"{_figure(record.penalty)}; a sender with no evidence starts at "
                 f"{_figure(record.baseline)}):")
    for c in sorted(record.columns, key=lambda c: -abs(c["coefficient"])):
        lines.append(f"  {c['coefficient']:+.3f}  {c['id']}  {c['label_en']}")
    return lines
