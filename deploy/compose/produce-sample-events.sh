#!/bin/sh
# Sample-event producer of docker-compose.yml: every INTERVAL seconds, writes
# one round of events to the source topic with kafka-console-producer.sh, so
# the stack shows traffic on its own. A round (RATE rounds of 20 lines):
# Segment track/page/screen/identify calls, a Segment batch envelope of two
# tracks, an mParticle batch, and one malformed line (dead-lettered as
# invalid_json) per 100 lines, i.e. ~1% of the input.
#   produce-sample-events.sh                 loop forever, producing to Kafka
#   produce-sample-events.sh --print ROUNDS  print ROUNDS rounds on stdout (tests)
# POSIX sh only: the apache/kafka image has busybox tools.
set -eu

BOOTSTRAP="${BOOTSTRAP:-kafka:9092}"
TOPIC="${TOPIC:-raw-events}"
RATE="${RATE:-5}"            # 20-line blocks per round
INTERVAL="${INTERVAL:-1}"    # seconds between rounds
PRODUCER="${PRODUCER:-/opt/kafka/bin/kafka-console-producer.sh}"

seq_no=0

block() {
  # $1 = block number: 20 lines, the 100th line of every 5 blocks is malformed.
  n="$1"
  ts="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  ms="$(date -u +%s)000"
  i=0
  while [ "$i" -lt 14 ]; do
    u=$(( (n * 7 + i) % 50 ))
    seq_no=$((seq_no + 1))
    id="$(printf '%08x-0000-4000-8000-%012x' "$n" "$seq_no")"
    case $((i % 7)) in
      0) printf '{"type":"track","event":"Video Content Playing","userId":"user-%d","messageId":"%s","timestamp":"%s","properties":{"asset_id":"ep-%d","position":%d,"player":{"quality":"hd720"}},"context":{"library":{"name":"compose-sample","version":"1"}}}\n' "$u" "$id" "$ts" "$((i + n % 20))" "$((seq_no % 3600))" ;;
      1) printf '{"type":"track","event":"Product Clicked","userId":"user-%d","messageId":"%s","timestamp":"%s","properties":{"product_id":"sku-%d","price":9.99,"currency":"USD"}}\n' "$u" "$id" "$ts" "$i" ;;
      2) printf '{"type":"page","name":"Home","category":"Browse","anonymousId":"anon-%d","messageId":"%s","timestamp":"%s","properties":{"path":"/","title":"Home"}}\n' "$u" "$id" "$ts" ;;
      3) printf '{"type":"screen","name":"Player","userId":"user-%d","messageId":"%s","timestamp":"%s","properties":{"variant":"b"}}\n' "$u" "$id" "$ts" ;;
      4) printf '{"type":"identify","userId":"user-%d","messageId":"%s","timestamp":"%s","traits":{"plan":"premium","country":"FR"}}\n' "$u" "$id" "$ts" ;;
      5) printf '{"type":"track","event":"Order Completed","userId":"user-%d","messageId":"%s","timestamp":"%s","properties":{"order_id":"o-%d","revenue":19.98}}\n' "$u" "$id" "$ts" "$seq_no" ;;
      6) printf '{"batch":[{"type":"track","event":"Video Content Started","userId":"user-%d","messageId":"%s-a","timestamp":"%s"},{"type":"track","event":"Video Content Completed","userId":"user-%d","messageId":"%s-b","timestamp":"%s"}],"context":{"library":{"name":"compose-sample","version":"1"}}}\n' "$u" "$id" "$ts" "$u" "$id" "$ts" ;;
    esac
    i=$((i + 1))
  done
  while [ "$i" -lt 19 ]; do
    u=$(( (n * 3 + i) % 50 ))
    seq_no=$((seq_no + 1))
    printf '{"mpid":%d,"environment":"production","user_identities":{"customer_id":"user-%d"},"events":[{"event_type":"custom_event","data":{"event_name":"Video Watched","custom_event_type":"media","timestamp_unixtime_ms":%s,"source_message_id":"%08x-1111-4000-8000-%012x","custom_attributes":{"asset_id":"ep-%d"}}},{"event_type":"screen_view","data":{"screen_name":"Details","timestamp_unixtime_ms":%s,"source_message_id":"%08x-2222-4000-8000-%012x"}}]}\n' \
      "$((1000000 + u))" "$u" "$ms" "$n" "$seq_no" "$i" "$ms" "$n" "$seq_no"
    i=$((i + 1))
  done
  if [ $((n % 5)) -eq 4 ]; then
    printf '{"type":"track","event":"Broken", this is not JSON\n'
  else
    seq_no=$((seq_no + 1))
    printf '{"type":"track","event":"Video Content Playing","userId":"user-%d","messageId":"%08x-3333-4000-8000-%012x","timestamp":"%s"}\n' "$((n % 50))" "$n" "$seq_no" "$ts"
  fi
}

round() {
  # $1 = round number
  b=0
  while [ "$b" -lt "$RATE" ]; do
    block $(( $1 * RATE + b ))
    b=$((b + 1))
  done
}

if [ "${1:-}" = "--print" ]; then
  r=0
  while [ "$r" -lt "${2:-1}" ]; do round "$r"; r=$((r + 1)); done
  exit 0
fi

echo "producing ${RATE}x20 lines every ${INTERVAL}s to ${TOPIC} on ${BOOTSTRAP}" >&2
r=0
while :; do
  r=$((r + 1))
  round "$r"
  sleep "$INTERVAL"
done | "$PRODUCER" --bootstrap-server "$BOOTSTRAP" --topic "$TOPIC" \
         --producer-property linger.ms=50 --producer-property acks=all
