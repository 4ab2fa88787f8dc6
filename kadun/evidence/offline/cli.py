"""The verifier's command line: ``python -m kadun.evidence.offline BUNDLE.zip [--against OLDHEAD.json]
[--consistency PROOF.json] [--keys KEYS.json]``, also ``kadun verify …``. Prints the verdict in Chinese and English;
exit code 0 when every check passed, 1 otherwise (2 for a usage error)."""
from __future__ import annotations

import argparse
import json
import sys

from kadun.evidence.offline.verify import Report, verify_bundle  # onefile: inlined


def render(report: Report, name: str) -> str:
    lines = [f"kadun 存证包校验 / evidence bundle check: {name}"]
    if report.subject:
        lines.append(f"对象 / subject: {report.subject}")
    head = report.head
    if head:
        lines.append(f"签名树头 / signed tree head: size {head.get('tree_size')}, root {head.get('root_hash')}, key {str(head.get('key_id'))[:16]}…")
    lines.append(f"条目 / entries: {report.entries}（已收录 / in the tree: {report.included}，待收录有承诺 / promised: {report.promised}）；"
                 f"附件 / attachments: {report.attachments}")
    for zh, en in report.notes:
        lines.append(f"  · {zh} / {en}")
    if report.ok:
        lines.append("结论 / Verdict: 通过 / PASS — 每个条目、附件、证明和签名都已核对 / every entry, attachment, proof and signature checks out")
    else:
        lines.append(f"结论 / Verdict: 不通过 / FAIL — {len(report.problems)} 项问题 / problem(s):")
        for n, p in enumerate(report.problems, start=1):
            lines.append(f"  {n}. [{p.code}] {p.where}: {p.zh} / {p.en}")
    return "\n".join(lines)


def _load(path: str | None):
    if not path:
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kadun verify", description="校验 kadun 存证包 / verify a kadun evidence bundle, offline")
    parser.add_argument("bundle", help="存证包 / the bundle (.zip)")
    parser.add_argument("--against", metavar="OLDHEAD.json", help="您以前保存的树头：检查日志未被改写 / a head you kept: check the log was not rewritten since")
    parser.add_argument("--consistency", metavar="PROOF.json", help="一致性证明（包里没有时）/ a consistency proof, if the bundle has none")
    parser.add_argument("--keys", metavar="KEYS.json",
        help="从网站 /transparency/keys.json 取得的公钥，代替包内的 / public keys from the site, instead of the bundle's")
    args = parser.parse_args(argv)
    try:
        against, consistency, keys = _load(args.against), _load(args.consistency), _load(args.keys)
    except (OSError, ValueError) as exc:
        print(f"无法读取 / cannot read: {exc}", file=sys.stderr)
        return 2
    if isinstance(against, dict) and isinstance(against.get("head"), dict):
        against = against["head"]  # a head.json kept from an older bundle, or a transparency page's answer
    try:
        with open(args.bundle, "rb") as f:
            data = f.read()
    except OSError as exc:
        print(f"无法读取 / cannot read: {exc}", file=sys.stderr)
        return 2
    report = verify_bundle(data, against=against, consistency=consistency, trusted_keys=keys)
    print(render(report, args.bundle))
    return 0 if report.ok else 1
