#!/usr/bin/env bash
# The job queue end to end (Documentation/Server.md, "Many machines"): a private PostgreSQL from
# Debian's packages, one `sd serve --queue` node and two `sd worker`s on the tiny fixture model;
# 30 txt2img requests, one worker killed with SIGKILL while it holds a job. Checks that every
# request is answered 200 with its image, and in the table: 30 jobs done, each completed exactly
# once, at least one claimed more than once (the killed worker's job, reclaimed after its lease
# expired). Then, where Python and pip are available, the `webuiapi` PyPI client (the one A1111
# users script with) generates through the same node.
#
#   Tests/Scripts/queue-scale-out.sh [--no-python]     (about a minute after the debug build)
#
# PostgreSQL runs as the `postgres` user when this runs as root (initdb refuses root), on a free
# port, with its data, socket and log in a temporary folder removed at exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

run_python=1
[ "${1:-}" = "--no-python" ] && run_python=0
jobs_total=30

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
  echo "queue-scale-out: PostgreSQL's server is not installed (Debian: apt-get install postgresql)" >&2
  exit 1
fi

swift build --product sd >/dev/null
sd="$(swift build --show-bin-path)/sd"
model="$root/Tests/Fixtures/pipeline/sd15-tiny"

work=$(mktemp -d /tmp/sd-queue.XXXXXX)
chmod 755 "$work"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$work"
  as_pg=(runuser -u postgres --)
fi
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
pgport=$(free_port)

"${as_pg[@]}" "$pgbin/initdb" -D "$work/data" -U sd --auth=trust >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log"; exit 1; }
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w \
  -o "-p $pgport -k $work -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
"$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U sd sdqueue
psql_q() { psql -h 127.0.0.1 -p "$pgport" -U sd -d sdqueue -tAqc "$1"; }
queue="postgres://sd:secret@127.0.0.1:$pgport/sdqueue?sslmode=disable"
echo "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on port $pgport"

# Typed one-line errors, no crash: a malformed URL and a port nothing listens on.
if out=$("$sd" worker --queue "mysql://x@h/db" --model "$model" 2>&1); then echo "FAIL: bad URL accepted" >&2; exit 1; fi
echo "$out" | grep -q "expected postgres://" || { echo "FAIL: bad URL: $out" >&2; exit 1; }
if out=$("$sd" worker --queue "postgres://sd@127.0.0.1:1/sdqueue" --model "$model" 2>&1); then echo "FAIL: unreachable accepted" >&2; exit 1; fi
echo "$out" | grep -q "cannot reach PostgreSQL at postgres://sd@127.0.0.1:1/sdqueue" || { echo "FAIL: unreachable: $out" >&2; exit 1; }
echo "ok: bad URL and unreachable database give one-line errors"

# The node (twice at once: migrating is idempotent and safe to race) and two workers.
"$sd" serve --queue "$queue" --model "$model" --port 0 --max-queue 40 2>"$work/node.log" &
pids+=($!)
"$sd" worker --queue "$queue" --model "$model" --lease-seconds 3 --max-attempts 3 2>"$work/worker-a.log" &
worker_a=$!; pids+=($worker_a)
"$sd" worker --queue "$queue" --model "$model" --lease-seconds 3 --max-attempts 3 2>"$work/worker-b.log" &
worker_b=$!; pids+=($worker_b)

for _ in $(seq 1 300); do
  grep -q "^serving http" "$work/node.log" 2>/dev/null && break
  sleep 0.1
done
port=$(sed -n 's/^serving http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$work/node.log")
[ -n "$port" ] || { echo "FAIL: the node did not start:"; cat "$work/node.log"; exit 1; } >&2
[ "$(psql_q "SELECT max(version) FROM sd_schema_version")" = "1" ] || { echo "FAIL: schema not migrated" >&2; exit 1; }
echo "node on port $port, workers $worker_a and $worker_b"

# 30 requests at once, different seeds; 12 steps on 64 × 64 keep each job long enough to be killed in.
mkdir "$work/replies"
curls=()
for i in $(seq 1 $jobs_total); do
  curl -s -o "$work/replies/$i.json" -w "%{http_code}" -H "Content-Type: application/json" \
    -d "{\"prompt\": \"a red fox $i\", \"steps\": 12, \"width\": 64, \"height\": 64, \"seed\": $((1000 + i)), \"sampler_name\": \"Euler a\"}" \
    "http://127.0.0.1:$port/sdapi/v1/txt2img" >"$work/replies/$i.status" &
  curls+=($!)
done

# Kill worker A (SIGKILL: no goodbye) while it holds a job part-way through.
for _ in $(seq 1 600); do
  held=$(psql_q "SELECT count(*) FROM sd_jobs WHERE state = 'running' AND worker LIKE '%-$worker_a' AND step > 0")
  [ "$held" != "0" ] && break
  sleep 0.05
done
[ "$held" != "0" ] || { echo "FAIL: worker A never held a job" >&2; exit 1; }
killed_job=$(psql_q "SELECT id FROM sd_jobs WHERE state = 'running' AND worker LIKE '%-$worker_a' LIMIT 1")
kill -9 "$worker_a"
echo "killed worker A ($worker_a) while it ran job $killed_job"
progress=$(curl -s "http://127.0.0.1:$port/sdapi/v1/progress")
echo "$progress" | grep -q '"queue"' || { echo "FAIL: /progress: $progress" >&2; exit 1; }

started=$(date +%s)
for pid in "${curls[@]}"; do wait "$pid"; done
echo "all $jobs_total replies in $(( $(date +%s) - started )) s after the kill"

bad=0
for i in $(seq 1 $jobs_total); do
  status=$(cat "$work/replies/$i.status")
  if [ "$status" != "200" ] || ! grep -q '"images":\["iVBOR' "$work/replies/$i.json" \
     || ! grep -q "Seed: $((1000 + i))," "$work/replies/$i.json"; then
    echo "FAIL: request $i answered $status: $(head -c 300 "$work/replies/$i.json")" >&2
    bad=1
  fi
done
[ $bad -eq 0 ] || exit 1

done_count=$(psql_q "SELECT count(*) FROM sd_jobs WHERE state = 'done'")
twice=$(psql_q "SELECT count(*) FROM sd_jobs WHERE completions <> 1")
retried=$(psql_q "SELECT count(*) FROM sd_jobs WHERE attempts > 1")
killed_state=$(psql_q "SELECT state || ' after ' || attempts || ' claims, by ' || worker FROM sd_jobs WHERE id = $killed_job")
echo "table: $done_count done, $twice not completed exactly once, $retried claimed more than once (job $killed_job: $killed_state)"
[ "$done_count" = "$jobs_total" ] || { echo "FAIL: expected $jobs_total jobs done" >&2; exit 1; }
[ "$twice" = "0" ] || { echo "FAIL: a job was completed more or less than once" >&2; exit 1; }
[ "$retried" -ge 1 ] || { echo "FAIL: no job was reclaimed after the kill" >&2; exit 1; }
grep -q "job $killed_job: done" "$work/worker-b.log" || { echo "FAIL: worker B did not finish job $killed_job" >&2; exit 1; }
echo "ok: $jobs_total jobs, each completed exactly once; the killed worker's job was reclaimed"

# The A1111 Python client through the node (not in CI: it needs PyPI).
if [ $run_python -eq 0 ]; then
  echo "skipped: the webuiapi check (--no-python)"
elif ! command -v python3 >/dev/null || ! python3 -m venv "$work/venv" >/dev/null 2>&1 \
     || ! "$work/venv/bin/pip" install -q webuiapi==0.9.17 >"$work/pip.log" 2>&1; then
  echo "skipped: the webuiapi check (python3 with venv and pip, and PyPI, are needed)"
else
  "$work/venv/bin/python" - "$port" <<'PY'
import sys, webuiapi
from PIL import Image
api = webuiapi.WebUIApi(host="127.0.0.1", port=int(sys.argv[1]))
result = api.txt2img(prompt="a lighthouse", negative_prompt="blurry", seed=7, steps=4, width=64, height=64,
                     cfg_scale=7, sampler_name="DPM++ 2M", scheduler="Karras")
image = result.image
assert image.size == (64, 64), image.size
assert result.info["seed"] == 7 and result.info["all_seeds"] == [7], result.info
assert "Sampler: DPM++ 2M" in result.info["infotexts"][0], result.info["infotexts"]
assert any(s["name"] == "Euler a" for s in api.get_samplers())
mask = Image.new("RGB", (64, 64))
mask.paste((255, 255, 255), (16, 16, 48, 48))
inpainted = api.img2img(images=[image], mask_image=mask, prompt="a boat", seed=8, steps=4, width=64, height=64,
                        denoising_strength=0.8)
assert inpainted.image.size == (64, 64)
print("ok: webuiapi 0.9.17 txt2img and img2img with a mask through the queue:", result.info["infotexts"][0].splitlines()[-1])
PY
fi
