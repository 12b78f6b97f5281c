#!/usr/bin/env bash
# Sends what Slack sends for "/evict <text>", signed as Slack signs it (v0 = HMAC-SHA256 of "v0:timestamp:body"):
# try the command against a gateway before the Slack app exists.
# Usage: EGW_URL=http://127.0.0.1:8787 SLACK_SIGNING_SECRET=… ./slack-command.sh "evict prod web canary-0 --dry-run"
set -euo pipefail
text=$(printf '%s' "$1" | jq -sRr @uri)
body="team_id=${SLACK_TEAM:-T0123ABCD}&channel_id=${SLACK_CHANNEL:-C0456OPS}&user_id=${SLACK_USER:-U0789ANA}&command=%2Fevict&text=$text&response_url=${RESPONSE_URL:-https%3A%2F%2Fhooks.slack.com%2Fcommands%2Ftry}&trigger_id=$(date +%s%N).1.try"
ts=$(date +%s)
sig=$(printf 'v0:%s:%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$SLACK_SIGNING_SECRET" -hex | sed 's/^.* //')
curl -sS -X POST "$EGW_URL/v1/chat/slack" \
  -H 'Content-Type: application/x-www-form-urlencoded' \
  -H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: v0=$sig" \
  --data-binary "$body"
