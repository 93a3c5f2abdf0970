"""Container images: docker-archive tarballs and OCI layouts built by testing/images.py."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scanner.cli import main
from testing.images import (
    Entry,
    Image,
    Layer,
    file,
    opaque,
    sha256,
    whiteout,
    write_docker_archive,
    write_oci_layout,
    write_oci_tar,
)

# The ``rules`` fixture (conftest.py) finds ``kgtest_`` tokens; the built-in rules are off.
# The images are what these tests are about; the pure-Python prefilter keeps them independent
# of the hyperscan build (tested with the engines' own tests).
ENGINE = ("--engine", "aho-corasick")
ENV_TOKEN = "kgtest_Fake0Env1Guard2Token3Ab4C"
HIST_TOKEN = "kgtest_Fake9Hist8Entry7Token6Zq5W"
DELETED_TOKEN = "kgtest_Fake5Wh1teout4Layer3Ka2Lm"
OPAQUE_TOKEN = "kgtest_Fake6Opaq7Dir8Token9Ha1Bc"
ZIP_TOKEN = "kgtest_Fake1Nested2Zip3Token4Pq5R"
GZ_TOKEN = "kgtest_Fake2Gzip3Layer4Token5Xy6Z"
ZST_TOKEN = "kgtest_Fake3Zstd4Layer5Token6Mn7V"
SAME_TOKEN = "kgtest_Fake4Same5Content6Tok7Rs8T"
EVIL_TOKEN = "kgtest_Fake7Evil8Path9Token1Ju2Kl"
ALL_TOKENS = (
    ENV_TOKEN,
    HIST_TOKEN,
    DELETED_TOKEN,
    OPAQUE_TOKEN,
    ZIP_TOKEN,
    GZ_TOKEN,
    ZST_TOKEN,
    SAME_TOKEN,
    EVIL_TOKEN,
)


def _zip(name: str, text: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), text)
    return out.getvalue()


def sample_image(tag: str = "example.invalid/app:1.0", compressed: bool = True) -> Image:
    """Secrets everywhere: ENV, history, deleted files, a wheel, gzip and zstd layers."""
    return Image(
        tag=tag,
        env=["PATH=/usr/bin:/bin", f"API_TOKEN={ENV_TOKEN}"],
        labels={"maintainer": "nobody@example.invalid"},
        empty_history=["/bin/sh -c #(nop)  ENV PATH=/usr/bin:/bin"],
        layers=[
            Layer(
                [
                    Entry("etc", kind="dir"),
                    file("etc/app.env", f"TOKEN={DELETED_TOKEN}\n"),
                    file("srv/cache/keys.txt", f"key: {OPAQUE_TOKEN}\n"),
                    file("usr/share/doc/readme.txt", "nothing to see\n"),
                ],
                created_by="/bin/sh -c #(nop) ADD file:base in / ",
            ),
            Layer(
                [
                    whiteout("etc/app.env"),
                    opaque("srv/cache"),
                    file("opt/one/same.cfg", f"token={SAME_TOKEN}\n"),
                    file("opt/lib/tool-1.0-py3-none-any.whl", _zip("tool/conf.py", ZIP_TOKEN)),
                ],
                created_by=f"RUN /bin/sh -c curl -H 'Authorization: {HIST_TOKEN}' x # buildkit",
                compression="gzip" if compressed else "",
            ),
            Layer(
                [
                    file("opt/gz.txt", f"g={GZ_TOKEN}\n"),
                    file("opt/two/same.cfg", f"token={SAME_TOKEN}\n"),
                    Entry("opt/link", kind="symlink", target="gz.txt"),
                    Entry("opt/hard", kind="hardlink", target="opt/gz.txt"),
                    Entry("dev/null", kind="chr"),
                ],
                created_by="COPY gz.txt /opt/ # buildkit",
                compression="gzip" if compressed else "",
            ),
            Layer(
                [file("opt/zst.txt", f"z={ZST_TOKEN}\n")],
                created_by="COPY zst.txt /opt/ # buildkit",
                compression="zstd" if compressed else "",
            ),
        ],
    )


def run(rules: Path, *args: str, command: str = "image") -> tuple[int, list[dict[str, Any]], str]:
    runner = CliRunner()
    result = runner.invoke(
        main,
        [command, *args, "--rules", str(rules), "--only-rule", "kgtest.*", *ENGINE, "-f", "json"],
        catch_exceptions=False,
    )
    findings = json.loads(result.stdout)["findings"] if result.stdout.strip() else []
    return result.exit_code, findings, result.stderr


def by_location(findings: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f["location"]: f for f in findings}


def test_image_docker_archive_reports_every_place(tmp_path: Path, rules: Path) -> None:
    archive = write_docker_archive(tmp_path / "app.tar", [sample_image(compressed=False)])
    code, findings, err = run(rules, str(archive), "--show-secrets")
    assert code == 1
    found = by_location(findings)
    layers = [sha256(x) for x in _plain_layers(sample_image(compressed=False))]
    env = found[f"{archive}!example.invalid/app:1.0!config.Env"]
    assert env["secret"] == ENV_TOKEN and env["line"] == 2
    assert env["provenance"]["field"] == "Env"
    hist = found[f"{archive}!example.invalid/app:1.0!history[2]"]
    assert hist["secret"] == HIST_TOKEN
    assert hist["provenance"]["history_index"] == "2"
    deleted = found[f"{archive}!example.invalid/app:1.0!layer0@{layers[0][:19]}!etc/app.env"]
    prov = deleted["provenance"]
    assert deleted["secret"] == DELETED_TOKEN
    assert prov["layer_index"] == "0" and prov["layer_digest"] == layers[0]
    assert prov["layer_created_by"] == "/bin/sh -c #(nop) ADD file:base in /"
    assert prov["layer_history_index"] == "1"
    assert prov["deleted_in_layer"] == "1" and prov["hidden_by"] == "whiteout"
    assert prov["deleted_in_digest"] == layers[1]
    assert prov["image"] == "example.invalid/app:1.0"
    hidden = found[f"{archive}!example.invalid/app:1.0!layer0@{layers[0][:19]}!srv/cache/keys.txt"]
    assert hidden["provenance"]["hidden_by"] == "opaque whiteout"
    wheel = [f for f in findings if f["secret"] == ZIP_TOKEN]
    assert [f["location"].rsplit("!", 2)[1:] for f in wheel] == [
        ["opt/lib/tool-1.0-py3-none-any.whl", "tool/conf.py"]
    ]
    same = sorted(f["location"].rsplit("!", 1)[1] for f in findings if f["secret"] == SAME_TOKEN)
    assert same == ["opt/one/same.cfg", "opt/two/same.cfg"]
    assert "deleted_in_layer" not in found[same_loc(findings, "opt/two/same.cfg")]["provenance"]
    assert "dev/null: device file or FIFO entry skipped" in err
    assert not any(f["location"].endswith(("opt/link", "opt/hard")) for f in findings)


def same_loc(findings: list[dict[str, Any]], suffix: str) -> str:
    return str(next(f["location"] for f in findings if f["location"].endswith(suffix)))


def _plain_layers(image: Image) -> list[bytes]:
    from testing.images import layer_tar

    return [layer_tar(layer.entries) for layer in image.layers]


def test_image_oci_layout_gzip_and_zstd_layers(tmp_path: Path, rules: Path) -> None:
    layout = write_oci_layout(tmp_path / "layout", [sample_image()])
    code, findings, err = run(rules, str(layout), "--show-secrets")
    assert code == 1, err
    secrets = {f["secret"] for f in findings}
    assert secrets == set(ALL_TOKENS) - {EVIL_TOKEN}
    gz = next(f for f in findings if f["secret"] == GZ_TOKEN)
    zst = next(f for f in findings if f["secret"] == ZST_TOKEN)
    manifest = _manifest(layout)
    assert gz["provenance"]["layer_digest"] == manifest["layers"][2]["digest"]
    assert zst["provenance"]["layer_digest"] == manifest["layers"][3]["digest"]
    assert manifest["layers"][3]["mediaType"].endswith("+zstd")
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and warnings[0].endswith(
        "dev/null: device file or FIFO entry skipped"
    )


def _manifest(layout: Path) -> dict[str, Any]:
    index = json.loads((layout / "index.json").read_text())
    digest = index["manifests"][0]["digest"].split(":")[1]
    manifest: dict[str, Any] = json.loads((layout / "blobs" / "sha256" / digest).read_text())
    return manifest


def test_image_content_in_several_layers_matched_once(
    tmp_path: Path, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scanner.engine.pool as pool

    calls: list[str] = []
    real = pool.scan_blob

    def counting(blob: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(blob.origin.members[-1])
        return real(blob, *args, **kwargs)

    monkeypatch.setattr(pool, "scan_blob", counting)
    images = [sample_image(), sample_image(tag="example.invalid/app:2.0")]
    archive = write_docker_archive(tmp_path / "two.tar", images)
    code, findings, _ = run(rules, str(archive), "--jobs", "1")
    assert code == 1
    assert sum(1 for c in calls if c.endswith("same.cfg")) == 1
    assert len([f for f in findings if f["location"].endswith("same.cfg")]) == 4


def test_image_multi_image_archive_scans_each(tmp_path: Path, rules: Path) -> None:
    first = sample_image(compressed=False)
    second = Image(
        tag="example.invalid/other:3",
        env=["X=1"],
        layers=[first.layers[0], Layer([file("etc/other.conf", f"k={GZ_TOKEN}\n")])],
    )
    archive = write_docker_archive(tmp_path / "multi.tar", [first, second])
    code, findings, _ = run(rules, str(archive), "--show-secrets")
    assert code == 1
    other = [f for f in findings if f["provenance"]["image"] == "example.invalid/other:3"]
    assert {f["location"].rsplit("!", 1)[1] for f in other} == {
        "etc/app.env",
        "srv/cache/keys.txt",
        "etc/other.conf",
    }
    shared = next(f for f in other if f["location"].endswith("etc/app.env"))
    assert "deleted_in_layer" not in shared["provenance"]


def test_image_docker25_names_gzip_outer_and_oci_tar(tmp_path: Path, rules: Path) -> None:
    images = [sample_image(compressed=False)]
    inputs = [
        write_docker_archive(tmp_path / "new.tar", images, oci_names=True),
        write_docker_archive(tmp_path / "app.tar.gz", images, gzip_outer=True),
        write_oci_tar(tmp_path / "oci.tar", [sample_image()]),
        write_docker_archive(tmp_path / "crane.tar", images, gzip_layers=True),
    ]
    for path in inputs:
        code, findings, err = run(rules, str(path), "--show-secrets")
        assert code == 1, (path, err)
        warnings = [line for line in err.splitlines() if "warning" in line]
        assert all(w.endswith("device file or FIFO entry skipped") for w in warnings), err
        assert {f["secret"] for f in findings} == set(ALL_TOKENS) - {EVIL_TOKEN}, path


def test_image_multi_arch_index_scans_every_manifest(tmp_path: Path, rules: Path) -> None:
    amd = sample_image()
    arm = Image(
        tag=amd.tag,
        architecture="arm64",
        env=[f"ARM_TOKEN={GZ_TOKEN}"],
        layers=[Layer([file("etc/arm.conf", f"k={ZIP_TOKEN}\n")], compression="gzip")],
    )
    layout = write_oci_layout(tmp_path / "multi", [amd, arm], multi_arch=True)
    code, findings, _ = run(rules, str(layout))
    assert code == 1
    labels = {f["location"].split("!")[1] for f in findings}
    assert labels == {
        "example.invalid/app:1.0[linux/amd64]",
        "example.invalid/app:1.0[linux/arm64]",
    }
    arm_found = [f for f in findings if f["provenance"].get("platform") == "linux/arm64"]
    assert {f["location"].rsplit("!", 1)[1] for f in arm_found} == {"config.Env", "etc/arm.conf"}


def test_scan_command_hands_images_to_the_image_code(tmp_path: Path, rules: Path) -> None:
    layout = write_oci_layout(tmp_path / "layout", [sample_image()])
    (tmp_path / "d").mkdir()
    archive = write_docker_archive(tmp_path / "d" / "app.tar", [sample_image(compressed=False)])
    gz = write_docker_archive(tmp_path / "d" / "app.tar.gz", [sample_image()], gzip_outer=True)
    plain = tmp_path / "d" / "plain.tar"
    _plain_tar(plain, "notes.txt", f"k={OPAQUE_TOKEN}\n")
    bundle = tmp_path / "d" / "extension.tar"  # a manifest.json that is not an image's
    _plain_tar(bundle, "manifest.json", f'{{"name": "ext", "key": "{OPAQUE_TOKEN}"}}')
    code, findings, err = run(rules, str(layout), str(tmp_path / "d"), command="scan")
    assert code == 1, err
    places = {f["location"] for f in findings}
    deleted = [f for f in findings if f.get("provenance", {}).get("hidden_by") == "whiteout"]
    assert {f["path"] for f in deleted} == {str(layout), str(archive), str(gz)}
    assert f"{plain}!notes.txt" in places
    assert f"{bundle}!manifest.json" in places
    assert any(p.startswith(f"{layout}!example.invalid/app:1.0!config.Env") for p in places)


def _plain_tar(path: Path, name: str, text: str) -> None:
    import tarfile

    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w") as tf:
        data = text.encode()
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))


def test_image_truncated_archive_warns_and_goes_on(tmp_path: Path, rules: Path) -> None:
    archive = write_docker_archive(tmp_path / "full.tar", [sample_image(compressed=False)])
    data = archive.read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(data[: len(data) // 2])
    gz = tmp_path / "cut.tar.gz"
    packed = gzip.compress(data)
    gz.write_bytes(packed[: len(packed) // 2])
    layout = write_oci_layout(tmp_path / "layout", [sample_image()])
    layer = _manifest(layout)["layers"][2]["digest"].split(":")[1]
    blob = layout / "blobs" / "sha256" / layer
    blob.write_bytes(blob.read_bytes()[:-40])
    code, findings, err = run(rules, str(cut), str(gz), str(layout), "--show-secrets")
    assert code == 1
    assert f"{cut}: truncated" in err
    assert err.count(f"{gz}: truncated or unreadable compressed archive") == 1
    assert f"{layout}!example.invalid/app:1.0!layer2@sha256:{layer[:12]}: truncated" in err
    assert ZST_TOKEN in {f["secret"] for f in findings}


def test_image_digest_mismatch_warns_and_scans(tmp_path: Path, rules: Path) -> None:
    layout = write_oci_layout(tmp_path / "layout", [sample_image(compressed=False)])
    layer = _manifest(layout)["layers"][3]["digest"].split(":")[1]
    blob = layout / "blobs" / "sha256" / layer
    blob.write_bytes(blob.read_bytes().replace(ZST_TOKEN.encode(), GZ_TOKEN.encode()))
    code, findings, err = run(rules, str(layout), "--show-secrets")
    assert code == 1
    assert f"layer3@sha256:{layer[:12]}: layer digest mismatch: expected sha256:{layer}" in err
    assert "scanned anyway" in err
    assert any(
        f["location"].endswith("layer3@sha256:" + layer[:12] + "!opt/zst.txt") for f in findings
    )


def test_image_unsafe_names_reported_never_written(tmp_path: Path, rules: Path) -> None:
    image = Image(
        layers=[
            Layer(
                [
                    file("../../evil.txt", f"e={EVIL_TOKEN}\n"),
                    file("/abs/evil.txt", f"e={EVIL_TOKEN}\n"),
                    Entry("dev/fifo", kind="fifo"),
                    Entry("etc/shadow", kind="symlink", target="../../../etc/shadow"),
                    Entry("etc/ok", kind="symlink", target="/usr/bin/env"),
                ]
            )
        ]
    )
    work = tmp_path / "deep" / "work"
    work.mkdir(parents=True)
    archive = write_docker_archive(work / "evil.tar", [image])
    before = sorted(p.name for p in tmp_path.rglob("*"))
    code, findings, err = run(rules, str(archive))
    assert code == 1
    assert "entry '../../evil.txt' has an absolute or parent-relative name" in err
    assert "entry '/abs/evil.txt' has an absolute or parent-relative name" in err
    assert "dev/fifo: device file or FIFO entry skipped" in err
    assert "etc/shadow: symlink to '../../../etc/shadow' points outside the image" in err
    assert "etc/ok" not in err
    assert {f["location"].rsplit("!", 1)[1] for f in findings} == {
        "../../evil.txt",
        "/abs/evil.txt",
    }
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_image_missing_layer_names_image_and_layer(tmp_path: Path, rules: Path) -> None:
    layout = write_oci_layout(tmp_path / "layout", [sample_image()])
    digest = _manifest(layout)["layers"][1]["digest"]
    (layout / "blobs" / "sha256" / digest.split(":")[1]).unlink()
    code, findings, err = run(rules, str(layout))
    assert code == 1
    assert f"{layout}!example.invalid/app:1.0: layer 1 ({digest}) is missing" in err
    assert any(f["location"].endswith("opt/zst.txt") for f in findings)


def test_image_zstd_missing_warns_for_that_layer(
    tmp_path: Path, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = write_oci_layout(tmp_path / "layout", [sample_image()])
    monkeypatch.setitem(sys.modules, "zstandard", None)
    code, findings, err = run(rules, str(layout))
    assert code == 1
    assert "layer3@" in err and "install keyguard[zstd]" in err
    assert any(f["location"].endswith("opt/gz.txt") for f in findings)
    assert not any(f["location"].endswith("opt/zst.txt") for f in findings)


def test_image_reports_mask_secrets_and_sarif_works(tmp_path: Path, rules: Path) -> None:
    archive = write_docker_archive(tmp_path / "app.tar", [sample_image()])
    runner = CliRunner()
    for fmt in ("text", "json", "jsonl", "sarif", "github"):
        args = ["image", str(archive), "--rules", str(rules), "--only-rule", "kgtest.*", *ENGINE]
        result = runner.invoke(main, [*args, "-f", fmt])
        assert result.exit_code == 1, (fmt, result.output)
        assert not any(t in result.output for t in ALL_TOKENS), fmt
    sarif = json.loads(runner.invoke(main, [*args, "-f", "sarif"]).stdout)
    assert sarif["runs"][0]["results"]


def test_image_not_an_image_and_missing_path(tmp_path: Path, rules: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01not an image")
    code, findings, err = run(rules, str(junk), str(tmp_path / "nope.tar"))
    assert code == 2 and findings == []
    assert "not a tar archive or image layout" in err
    code, _, err = run(rules, str(tmp_path / "nope.tar"))
    assert code == 2 and "no such file or directory" in err


@pytest.mark.slow
def test_fixtures_are_images_skopeo_accepts(tmp_path: Path, rules: Path) -> None:
    skopeo = shutil.which("skopeo")
    assert skopeo, "skopeo is listed in scripts/apt-packages.txt"
    layout = write_oci_layout(tmp_path / "layout", [sample_image()])
    raw = subprocess.run(
        [skopeo, "inspect", "--raw", f"oci:{layout}"], capture_output=True, check=True, text=True
    )
    assert json.loads(raw.stdout)["layers"][3]["mediaType"].endswith("+zstd")
    out = tmp_path / "copied"
    subprocess.run(
        [skopeo, "copy", "--quiet", f"oci:{layout}:example.invalid/app:1.0", f"dir:{out}"],
        capture_output=True,
        check=True,
    )
    for name, kwargs in (("legacy.tar", {}), ("new.tar", {"oci_names": True})):
        archive = write_docker_archive(tmp_path / name, [sample_image()], **kwargs)
        target = tmp_path / f"from-{name}"
        done = subprocess.run(
            [skopeo, "copy", "--quiet", f"docker-archive:{archive}", f"oci:{target}:t"],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    # What skopeo writes from our fixtures is read back with every secret in place.
    legacy = tmp_path / "legacy.tar"
    rewritten = [tmp_path / "skopeo-oci.tar", tmp_path / "skopeo-docker.tar"]
    for src, dst in (
        (f"oci:{layout}:example.invalid/app:1.0", f"oci-archive:{rewritten[0]}:v1"),
        (f"docker-archive:{legacy}", f"docker-archive:{rewritten[1]}:re/tag:2"),
    ):
        done = subprocess.run([skopeo, "copy", "--quiet", src, dst], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    for path in (rewritten[0], rewritten[1], tmp_path / "from-new.tar", out):
        code, findings, err = run(rules, str(path), "--show-secrets")
        assert code == 1, err
        assert {f["secret"] for f in findings} == set(ALL_TOKENS) - {EVIL_TOKEN}, path
        assert any(f["provenance"].get("hidden_by") == "whiteout" for f in findings)
    multi = write_oci_layout(tmp_path / "multi", [sample_image()], multi_arch=True)
    done = subprocess.run(
        [skopeo, "inspect", "--raw", f"oci:{multi}"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["manifests"]) == 1


def test_image_index_with_a_platform_not_saved(tmp_path: Path, rules: Path) -> None:
    arm = Image(
        tag="example.invalid/app:1.0", architecture="arm64", env=[f"T={GZ_TOKEN}"], layers=[]
    )
    layout = write_oci_layout(tmp_path / "partial", [sample_image(), arm], multi_arch=True)
    index = json.loads((layout / "index.json").read_text())
    nested = layout / "blobs" / "sha256" / index["manifests"][0]["digest"].split(":")[1]
    arm_digest = json.loads(nested.read_text())["manifests"][1]["digest"]
    (layout / "blobs" / "sha256" / arm_digest.split(":")[1]).unlink()
    code, findings, err = run(rules, str(layout))
    assert code == 1
    assert f"manifest {arm_digest} (linux/arm64) is not in the archive; skipped" in err
    assert {f["provenance"]["platform"] for f in findings} == {"linux/amd64"}


def test_scan_finds_an_image_tar_inside_a_zip(tmp_path: Path, rules: Path) -> None:
    archive = write_docker_archive(tmp_path / "app.tar", [sample_image()])
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        zf.write(archive, "images/app.tar")
    code, findings, err = run(rules, str(bundle), "--show-secrets", command="scan")
    assert code == 1, err
    assert {f["secret"] for f in findings} == set(ALL_TOKENS) - {EVIL_TOKEN}
    deleted = next(f for f in findings if f["secret"] == DELETED_TOKEN)
    assert deleted["location"].startswith(
        f"{bundle}!images/app.tar!example.invalid/app:1.0!layer0@"
    )
    assert deleted["provenance"]["hidden_by"] == "whiteout"


@pytest.mark.parametrize(
    ("path", "layer", "expected"),
    [
        ("etc/app.env", 0, (1, "whiteout")),
        ("etc/app.env", 1, (3, "replaced")),
        ("etc/app.env", 3, None),
        ("srv/cache/a/b.txt", 0, (2, "opaque whiteout")),
        ("srv/cache/a/b.txt", 2, None),
        ("opt/x", 0, (1, "replaced")),
        ("gone/deep/file", 0, (3, "whiteout")),
        ("usr/bin/tool", 0, None),
    ],
)
def test_hider_finds_the_first_layer_that_hides(
    path: str, layer: int, expected: tuple[int, str] | None
) -> None:
    from scanner.sources.images import Hider, LayerIndex

    hider = Hider(
        [
            None,
            LayerIndex(covers=["opt/x"], whiteouts=["etc/app.env"]),
            LayerIndex(opaques=["srv/cache"], covers=["srv/cache/new.txt"]),
            LayerIndex(whiteouts=["gone"], covers=["etc/app.env"]),
        ]
    )
    assert hider.hidden_by(path, layer) == expected


def test_redact_command_cuts_token_like_words() -> None:
    from scanner.sources.images import redact_command

    text = f"RUN curl -H 'Authorization: Bearer {ZIP_TOKEN}' https://x.invalid/api/v2 && ls"
    out = redact_command(text)
    assert ZIP_TOKEN not in out and "kgte…" in out
    assert out.startswith("RUN curl -H 'Authorization: Bearer")
    plain = "/bin/sh -c   apt-get install --no-install-recommends PYTHONUNBUFFERED"
    assert redact_command(plain) == " ".join(plain.split())
    assert len(redact_command("x " * 500)) <= 160


@pytest.mark.parametrize("writer", ["docker", "oci", "docker-gz"])
def test_image_same_layer_twice_in_one_image(tmp_path: Path, rules: Path, writer: str) -> None:
    base = Layer([file("etc/app.env", f"TOKEN={DELETED_TOKEN}\n")], compression="gzip")
    image = Image(layers=[base, Layer([whiteout("etc/app.env")]), base])
    if writer == "oci":
        path = write_oci_layout(tmp_path / "layout", [image])
    else:
        path = write_docker_archive(tmp_path / "a.tar", [image], gzip_outer=writer == "docker-gz")
    code, findings, err = run(rules, str(path))
    assert code == 1, err
    hidden = {
        f["provenance"]["layer_index"]: f["provenance"].get("deleted_in_layer") for f in findings
    }
    assert hidden == {"0": "1", "2": None}


def test_top_down_order_puts_upper_layers_first() -> None:
    from scanner.sources.images import Hider, ImageSpec, LayerRef, Placement, top_down_order

    def spec(*names: str) -> tuple[ImageSpec, list[str]]:
        refs = [LayerRef(n, n, None, None) for n in names]
        return ImageSpec(names[-1], names[-1], {}, refs), list(names)

    def placements(*images: tuple[ImageSpec, list[str]]) -> dict[str, list[Placement]]:
        out: dict[str, list[Placement]] = {}
        for image, names in images:
            for i, n in enumerate(names):
                out.setdefault(n, []).append(
                    Placement(image, i, image.layers[i], ("", ""), Hider(()))
                )
        return out

    a, b = spec("base", "mid", "top"), spec("base", "mid", "other")
    order = top_down_order([a[0], b[0]], placements(a, b))
    assert order is not None and order.index("top") < order.index("mid") < order.index("base")
    assert order.index("other") < order.index("mid")
    x, y = spec("p", "q"), spec("q", "p")
    assert top_down_order([x[0], y[0]], placements(x, y)) is None
