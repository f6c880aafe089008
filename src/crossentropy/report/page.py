"""``report.html``: one self-contained page per run (``train``) or evaluation (``evaluate --report-dir``).

The page needs nothing but itself: the figures are embedded as base64 PNG ``data:`` URIs, the CSS
is inline, there is no script or font from anywhere else (a small inline script only marks the
``<body>`` with ``data-figures="ok"`` once every figure has decoded, which a headless browser test
reads back). Every piece of text from the data, the arguments or the model (column and class names,
file paths, the command line) goes through :func:`html.escape`.

Sections: the metrics with the baseline (the training class frequencies) and a note where the model
does not beat it; per-class precision, recall, F1 and support; the figures; the data (rows, columns,
what was left out, dropped or imputed and why); for logistic regression the coefficient table in the
units of the data's columns (``estimator.summary`` on the preprocessor's terms: reference levels,
covariance type, odds or relative-risk ratios, a sentence for each note); the command line, the
versions and the SHA-256 of the data file.
"""

from __future__ import annotations

import base64
import html
import math
import platform
import time

from .terms import method_sentence, term_tests_table, thresholds_sentence

__all__ = ["page_context", "provenance", "render_report", "versions"]

#: coefficient rows shown (a wide softmax model has thousands; all are in ``coefficients.csv``)
MAX_COEF_ROWS = 400
#: per-class rows shown per split
MAX_CLASS_ROWS = 200
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:1100px;
padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:right}th{background:#f3f3f3}
td.l,th.l{text-align:left}tr.base td{color:#555;font-style:italic}
.note{background:#fff4e5;border-left:4px solid #f0a020;padding:.4em .8em;margin:.5em 0}
.figs{display:flex;flex-wrap:wrap;gap:1em}.figs figure{margin:0}.figs img{max-width:520px;border:1px solid #eee}
code,pre{background:#f6f6f6;padding:.1em .3em;font-size:.9em}pre{padding:.6em;overflow-x:auto;white-space:pre-wrap}
.muted{color:#666;font-size:.9em}
"""

_SCRIPT = """
(function(){function check(){var imgs=document.images,ok=true;for(var i=0;i<imgs.length;i++){
if(!(imgs[i].complete&&imgs[i].naturalWidth>0)){ok=false;}}
document.body.setAttribute('data-figures',ok?'ok':'broken');
document.body.setAttribute('data-figure-count',String(imgs.length));}
if(document.readyState==='complete'){check();}else{window.addEventListener('load',check);}})();
"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def versions() -> dict:
    """The versions of Python and of the packages behind the numbers, for the page's provenance block.

    Examples
    --------
    >>> sorted(versions())[:3]
    ['crossentropy', 'matplotlib', 'numpy']
    """
    from importlib.metadata import PackageNotFoundError, version

    from .. import __version__

    out = {"python": platform.python_version(), "crossentropy": __version__}
    for dist in ("numpy", "scikit-learn", "scipy", "pandas", "matplotlib"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


def provenance(title, *, by="crossentropy.report.Report", rows=None) -> dict:
    """The page's provenance block: its title, when and by what it was written, and the rows of its run table.

    Parameters
    ----------
    title : str
    by : str, default "crossentropy.report.Report"
        What wrote the page (a command line, for a run of the command line).
    rows : list of (str, str), optional
        The run table's rows (default: the versions of :func:`versions`).

    Returns
    -------
    dict

    Examples
    --------
    >>> provenance("M", rows=[("data file", "a.csv")])["rows"]
    [('data file', 'a.csv')]
    """
    if rows is None:
        rows = [(f"{k} version", v) for k, v in versions().items()]
    return {"title": str(title), "created": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "by": str(by),
            "rows": [(str(k), str(v)) for k, v in rows]}


def _data_summary(prep, n_features, target, missing, missing_values) -> dict:
    state = prep.to_state() if prep is not None and getattr(prep, "columns_", None) is not None else None
    out = {"n_features": n_features, "target": target, "columns": [], "left_out": [], "missing": missing or {},
           "missing_values": missing_values or {}}
    if state is None:
        return out
    out["target"] = state.get("target", target)
    out["missing_policy"] = state.get("missing")
    out["impute_strategy"] = state.get("impute_strategy")
    out["scale"] = state.get("scale")
    for c in state.get("ignore") or []:
        out["left_out"].append((c, "ignored"))
    known = {"version", "target", "missing", "impute_strategy", "scale", "max_categories", "ignore", "columns",
             "classes", "classes_dtype", "reference", "na_values", "categorical", "unknown", "keep", "drop_reference"}
    for key, value in state.items():  # anything else the preprocessor records about left-out columns
        if key not in known and isinstance(value, (list, dict)) and value:
            items = value.items() if isinstance(value, dict) else ((v, key) for v in value)
            for name, why in items:
                out["left_out"].append((name, why if isinstance(why, str) else f"{key}: {why}"))
    for spec in state.get("columns") or []:
        cats = spec.get("categories")
        out["columns"].append({"name": spec.get("name"), "kind": spec.get("kind"), "fill": spec.get("fill"),
                               "n_categories": None if cats is None else len(cats),
                               "missing": out["missing"].get(spec.get("name"), 0)})
    return out


def page_context(splits, *, estimator=None, prep=None, coefficients=None, n_features=None, target=None,
                 missing=None, missing_values=None) -> dict:
    """Everything the page shows besides the figures and the provenance, as plain JSON-able values.

    Parameters
    ----------
    splits : dict
        Split name -> :func:`~crossentropy.report.metrics.split_metrics`.
    estimator : fitted classifier, optional
        Its name and parameters.
    prep : TabularPreprocessor, optional
        The preprocessing of the data's columns (the data section).
    coefficients : dict, optional
        :func:`crossentropy.report.coefficients.coefficient_section`.
    n_features, target : optional
        The model's number of features and the target column's name.
    missing : dict, optional
        Column -> number of missing values in the rows reported.
    missing_values : dict, optional
        What reading the data did with missing values: ``dropped_by_column`` and ``imputed_by_column``
        (column -> rows), ``kept_as_values`` (column -> {string: rows} read as values, not as missing).

    Returns
    -------
    dict
    """
    return {"splits": splits, "data": _data_summary(prep, n_features, target, missing, missing_values),
            "coefficients": coefficients,
            "model": None if estimator is None else type(estimator).__name__, "model_params": _params(estimator)}


def _params(estimator) -> dict:
    if estimator is None or not hasattr(estimator, "get_params"):
        return {}
    return {k: repr(v) for k, v in sorted(estimator.get_params(deep=False).items())}


def _num(v, digits=4) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float) and not math.isfinite(v):
        return _e(v)
    return f"{v:.{digits}f}"


def _metrics_table(splits) -> list[str]:
    from .metrics import beats_baseline

    names = list(splits)
    rows = [("rows", "n"), ("log loss (nats)", "log_loss"), ("log loss (bits)", "log_loss_bits"),
            ("accuracy", "accuracy"), ("ROC AUC", "roc_auc"), ("Brier score", "brier"), ("macro F1", "macro_f1")]
    out = ["<table id='metrics'><tr><th class='l'>metric</th>" + "".join(f"<th>{_e(n)}</th>" for n in names) + "</tr>"]
    for label, key in rows:
        if any(key in splits[n] for n in names):
            out.append(f"<tr><td class='l'>{_e(label)}</td>" + "".join(f"<td>{_num(splits[n].get(key))}</td>" for n in names)
                       + "</tr>")
    if any(splits[n].get("baseline") for n in names):
        for label, key in (("baseline: prior log loss (nats)", "log_loss"), ("baseline: prior log loss (bits)", "log_loss_bits"),
                           ("baseline: majority-class accuracy", "accuracy"), ("baseline: prior Brier score", "brier"),
                           ("baseline: majority-class macro F1", "macro_f1")):
            if not any(key in (splits[n].get("baseline") or {}) for n in names):
                continue
            out.append(f"<tr class='base'><td class='l'>{_e(label)}</td>"
                       + "".join(f"<td>{_num((splits[n].get('baseline') or {}).get(key))}</td>" for n in names) + "</tr>")
    out.append("</table>")
    any_b = next((splits[n]["baseline"] for n in names if splits[n].get("baseline")), None)
    if any_b:
        out.append(f"<p class='muted'>The baseline predicts the training split's class frequencies for every row; "
                   f"its accuracy is that of always answering the majority class {_e(repr(any_b['majority_class']))}.</p>")
    for n in names:
        for text in beats_baseline(splits[n]):
            out.append(f"<p class='note'>On {_e(n)}, the model's {_e(text)}: it does not beat the baseline.</p>")
    first = splits[names[0]] if names else {}
    if "pos_label" in first:
        thr = first.get("threshold")
        out.append(f"<p class='muted'>Positive class (ROC AUC, Brier score): {_e(repr(first['pos_label']))}; "
                   + ("decisions: the most probable class." if thr is None
                      else f"decisions: {_e(repr(first['pos_label']))} when its probability is at least {thr:g}.") + "</p>")
    elif first.get("per_class") and len(first["per_class"]) > 2:
        out.append("<p class='muted'>ROC AUC: one-vs-rest, macro average over the classes present.</p>")
    return out


def _per_class(splits) -> list[str]:
    out = []
    for n, m in splits.items():
        pcs = m.get("per_class") or []
        if not pcs:
            continue
        out.append(f"<h3>{_e(n)}</h3><table class='perclass'><tr><th class='l'>class</th><th>precision</th><th>recall</th>"
                   "<th>F1</th><th>support</th></tr>")
        for c in pcs[:MAX_CLASS_ROWS]:
            out.append(f"<tr><td class='l'>{_e(c['class'])}</td><td>{_num(c['precision'])}</td><td>{_num(c['recall'])}</td>"
                       f"<td>{_num(c['f1'])}</td><td>{_num(c['support'])}</td></tr>")
        out.append("</table>")
        if len(pcs) > MAX_CLASS_ROWS:
            out.append(f"<p class='muted'>{len(pcs) - MAX_CLASS_ROWS} more classes in metrics.json.</p>")
    return out


def _figure(name, data) -> str:
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return f"<figure><img src='{uri}' alt='{_e(name)}'><figcaption class='muted'>{_e(name)}</figcaption></figure>"


def _figures(pngs) -> list[str]:
    return ["<div class='figs'>", *(_figure(name, data) for name, data in pngs.items()), "</div>"]


def _data(d) -> list[str]:
    out = ["<table id='data'>"]
    for label, value in (("target column", d.get("target")), ("features after encoding", d.get("n_features")),
                         ("missing-value policy", d.get("missing_policy")), ("imputation", d.get("impute_strategy")),
                         ("standardised", d.get("scale"))):
        if value is not None:
            out.append(f"<tr><td class='l'>{_e(label)}</td><td class='l'>{_num(value) if isinstance(value, (int, bool)) else _e(value)}</td></tr>")
    out.append("</table>")
    if d.get("left_out"):
        out.append("<p>Columns left out:</p><ul>" + "".join(f"<li><code>{_e(c)}</code>: {_e(why)}</li>"
                                                          for c, why in d["left_out"]) + "</ul>")
    else:
        out.append("<p>No column was left out besides the target.</p>")
    if d.get("columns"):
        out.append("<table id='columns'><tr><th class='l'>column</th><th class='l'>kind</th><th>categories</th>"
                   "<th>missing</th><th class='l'>filled with</th></tr>")
        for c in d["columns"]:
            fill = "" if c.get("fill") is None or not c.get("missing") else _e(c["fill"])
            out.append(f"<tr><td class='l'>{_e(c['name'])}</td><td class='l'>{_e(c['kind'])}</td>"
                       f"<td>{'' if c['n_categories'] is None else c['n_categories']}</td><td>{_num(int(c['missing']))}</td>"
                       f"<td class='l'>{fill}</td></tr>")
        out.append("</table>")
    return out + _missing_values(d.get("missing_values") or {})


def _missing_values(record) -> list[str]:
    """The rows dropped and values imputed per column, and the strings kept as values."""
    out = []
    for key, what in (("dropped_by_column", "Rows dropped for a missing value, per column"),
                      ("imputed_by_column", "Values imputed, per column")):
        if record.get(key):
            out.append(f"<p id='{key}'>{what}: " + ", ".join(f"<code>{_e(c)}</code> {_num(int(n))}"
                                                             for c, n in record[key].items()) + ".</p>")
    kept = record.get("kept_as_values") or {}
    if kept:
        out.append("<p id='kept_as_values'>Kept as values, though other tools read them as missing: " + "; ".join(
            f"<code>{_e(c)}</code>: " + ", ".join(f"<code>{_e(v)}</code> ({_num(int(n))} rows)" for v, n in vals.items())
            for c, vals in kept.items()) + " (the preprocessing's <code>na_values</code> reads them as missing).</p>")
    return out


#: page heading of each column of the coefficient table (the odds ratio is a relative-risk ratio for softmax)
_COEF_HEADS = {"estimate": "estimate", "std_err": "std err", "z": "z", "p_value": "P>|z|", "ci_low": "{lo}",
               "ci_high": "{hi}", "odds_ratio": "{ratio}", "or_low": "{ratio} {lo}", "or_high": "{ratio} {hi}",
               "odds_ratio_per_sd": "{ratio} per SD", "lr_chi2": "LR chi2", "status": "status"}


def _coef_table(coef) -> list[str]:
    if coef is None:
        return []
    out = ["<h2>Coefficients</h2>"]
    if "error" in coef:
        return out + [f"<p class='note'>{_e(coef['error'])}</p>"]
    a = coef["alpha"]
    lo, hi = f"{100 * a / 2:g} %", f"{100 * (1 - a / 2):g} %"
    ratio = "odds ratio" if coef["binary"] else "relative-risk ratio"
    ref = f" Each class is compared with the reference class {_e(repr(coef['reference']))}." \
        if coef.get("reference") is not None else f" The coefficients are log-odds of {_e(repr(coef['outcome'][0]))} " \
        f"against {_e(repr(coef['outcome'][1]))}." if coef.get("outcome") else ""
    units = ("Coefficients are in the units of the data's columns: a numeric column's per one unit of that column "
             "(whatever standardisation the fit used inside), with its ratio per standard deviation beside it; each "
             "level of a string column against the column's reference level.") if coef.get("raw_units") else \
        "Coefficients are per unit of the model's features."
    how, units = method_sentence(coef, lo, hi), units + thresholds_sentence(coef)
    out.append(f"<p class='muted'>{how} McFadden pseudo R² {coef['prsquared']:.4f}.{ref} {_e(units)}</p>")
    if coef.get("cov_type") and coef.get("penalty") != "firth":
        out.append(f"<p id='cov-type'>Covariance type: <code>{_e(coef['cov_type'])}</code></p>")
    if coef.get("references"):
        out.append("<ul id='reference-levels'>" + "".join(f"<li><code>{_e(c)}</code>: reference level {_e(repr(v))}</li>"
                                                          for c, v in coef["references"].items()) + "</ul>")
    for note in coef["notes"]:
        out.append(f"<p class='note'>{_e(note)}</p>")
    keys = coef["columns"]
    heads = dict(_COEF_HEADS, p_value="P>chi2") if coef.get("penalty") == "firth" else _COEF_HEADS
    cols = (["class"] if not coef["binary"] else []) + ["term"] + [
        heads[k].format(lo=lo, hi=hi, ratio=ratio) for k in keys]
    out.append("<table id='coefficients'><tr>" + "".join(f"<th class='l'>{_e(c)}</th>" if c in ("class", "term", "status")
                                                           else f"<th>{_e(c)}</th>" for c in cols) + "</tr>")
    for r in coef["rows"][:MAX_COEF_ROWS]:
        cells = ([f"<td class='l'>{_e(r['class'])}</td>"] if not coef["binary"] else []) + [f"<td class='l'>{_e(r['term'])}</td>"]
        cells += [f"<td class='l'>{_e(r[k])}</td>" if k == "status" else
                  "<td></td>" if math.isnan(r[k]) else f"<td>{_e(f'{r[k]:.4g}')}</td>" for k in keys]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    if len(coef["rows"]) > MAX_COEF_ROWS:
        out.append(f"<p class='muted'>{len(coef['rows']) - MAX_COEF_ROWS} more rows in <code>coefficients.csv</code>.</p>")
    return out + term_tests_table(coef.get("term_tests"), coef.get("term_tests_note"))


def render_report(ctx: dict, pngs: dict, prov: dict) -> str:
    """The page as one HTML string.

    Parameters
    ----------
    ctx : dict
        From :func:`page_context` (with ``calibration`` and ``threshold_tuning`` where the report has them).
    pngs : dict of str to bytes
        Figure file name -> PNG bytes, embedded as ``data:image/png;base64`` URIs.
    prov : dict
        From :func:`provenance`: the title, the line saying when and by what the page was written, and the
        first rows of the run table (the rows with ``class='prov'``), the only parts that depend on who wrote it.

    Returns
    -------
    str

    Examples
    --------
    >>> page = render_report(page_context({}), {}, provenance("M on <x>.csv", by="crossentropy train <x>.csv"))
    >>> page.startswith("<!DOCTYPE html>"), "&lt;x&gt;.csv" in page, "<x>" in page
    (True, True, False)

    References
    ----------
    RFC 2397, "The data URL scheme"; WHATWG HTML Living Standard.
    """
    parts = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>",
             f"<title>{_e(prov['title'])}</title><style>{_CSS}</style></head>",
             "<body data-figures='pending'>", f"<h1>{_e(prov['title'])}</h1>",
             f"<p class='muted' id='written'>Written {_e(prov['created'])} by <code>{_e(prov['by'])}</code></p>"]
    from .calibration import FIGURES, calibration_html

    own = {k: v for k, v in pngs.items() if k in FIGURES}
    small = (ctx.get("calibration") or {}).get("small")  # too few rows: the reliability diagram is not shown
    pngs = {k: v for k, v in pngs.items() if k not in FIGURES and not (small and k == "reliability.png")}
    splits = ctx.get("splits") or {}
    if ctx.get("calibration") is not None:
        parts += [f"<p id='headline-text'>{_e(ctx['calibration']['headline'])}</p>"]
    if splits:
        parts += ["<h2>Metrics</h2>", *_metrics_table(splits), "<h2>Per class</h2>", *_per_class(splits)]
    parts += calibration_html(ctx.get("calibration"), ctx.get("threshold_tuning"), own,
                              lambda name, data: f"<div class='figs'>{_figure(name, data)}</div>")
    if pngs:
        parts += ["<h2>Figures</h2>", *_figures(pngs)]
    parts += ["<h2>Data</h2>", *_data(ctx.get("data") or {})]
    parts += _coef_table(ctx.get("coefficients"))
    parts.append("<h2>Run</h2><table id='run'>")
    parts += [f"<tr class='prov'><td class='l'>{_e(k)}</td><td class='l'><code>{_e(v)}</code></td></tr>"
              for k, v in prov["rows"]]
    parts += [f"<tr><td class='l'>{_e(f'parameter {k}')}</td><td class='l'><code>{_e(v)}</code></td></tr>"
              for k, v in (ctx.get("model_params") or {}).items()]
    parts += ["</table>", f"<script>{_SCRIPT}</script>", "</body></html>"]
    return "\n".join(parts) + "\n"
