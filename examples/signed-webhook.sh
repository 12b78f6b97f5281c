#!/usr/bin/env bash
# Sends one signed eviction (Standard Webhooks, v1 = HMAC-SHA256 of "id.timestamp.body").
# Usage: EGW_URL=https://gateway.example.com EGW_HOOK=deploy EGW_WEBHOOK_SECRET=whsec_… ./signed-webhook.sh <cluster> <namespace> <pod>
set -euo pipefail
body=$(printf '{"cluster":"%s","namespace":"%s","pod":"%s","reason":"signed webhook"}' "$1" "$2" "$3")
id="msg_$(date +%s%N)"
ts=$(date +%s)
key=$(printf '%s' "${EGW_WEBHOOK_SECRET#whsec_}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
sig=$(printf '%s.%s.%s' "$id" "$ts" "$body" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64)
curl -sS -X POST "$EGW_URL/v1/hooks/$EGW_HOOK" \
  -H 'Content-Type: application/json' \
  -H "webhook-id: $id" -H "webhook-timestamp: $ts" -H "webhook-signature: v1,$sig" \
  --data-binary "$body"
