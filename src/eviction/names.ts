import * as z from "zod";

// Kubernetes' own name rules (apimachinery validation.IsDNS1123Label / IsDNS1123Subdomain),
// checked here so that a bad name never leaves the gateway.
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The same rules as the schemas below, as plain checks: for hot paths that only need yes or no. */
export const isDns1123Label = (name: string): boolean => name.length <= 63 && LABEL.test(name);
export const isDns1123Subdomain = (name: string): boolean => name.length <= 253 && SUBDOMAIN.test(name);

export const dns1123Label = z
  .string()
  .min(1, "must not be empty")
  .max(63, "must be no more than 63 characters")
  .regex(LABEL, "must be a lowercase RFC 1123 label: a-z, 0-9 and '-', starting and ending with an alphanumeric character");

export const dns1123Subdomain = z
  .string()
  .min(1, "must not be empty")
  .max(253, "must be no more than 253 characters")
  .regex(SUBDOMAIN, "must be a lowercase RFC 1123 subdomain: a-z, 0-9, '-' and '.', each part starting and ending with an alphanumeric character");

export const clusterName = dns1123Label.meta({ description: "A cluster registered with the gateway." });
export const namespaceName = dns1123Label.meta({ description: "The pod's namespace (an RFC 1123 label)." });
export const podName = dns1123Subdomain.meta({ description: "The pod's name (an RFC 1123 subdomain)." });
