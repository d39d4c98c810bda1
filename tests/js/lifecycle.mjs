// A secret's lifecycle through the AWS SDK for JavaScript v3, unchanged, against strongroom.
//
// Env: STRONGROOM_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
// Prints one JSON summary line on success; on failure prints the failing step and the
// SDK error (name, HTTP status, raw response when the SDK could not parse it) to stderr
// and exits 1.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

const client = new SecretsManagerClient({
  endpoint: env("STRONGROOM_ENDPOINT"),
  region: env("AWS_REGION"),
  credentials: {
    accessKeyId: env("AWS_ACCESS_KEY_ID"),
    secretAccessKey: env("AWS_SECRET_ACCESS_KEY"),
  },
});

// Diagnostics only: keep the last raw request and response so that a failure report shows
// exactly what went over the wire. Sits innermost (closest to the HTTP handler), reads the
// response body once and hands the same bytes on as a Uint8Array, which the SDK's own body
// collector accepts; the SDK's serialization, signing and deserialization are untouched.
let lastExchange = null;
function requestBodyText(body) {
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  return typeof body === "string" ? body : `(${typeof body})`;
}
client.middlewareStack.add(
  (next) => async (args) => {
    const request = args.request;
    lastExchange = {
      request: {
        method: request?.method,
        path: request?.path,
        target: request?.headers?.["x-amz-target"],
        body: requestBodyText(request?.body),
      },
    };
    const out = await next(args);
    const response = out.response;
    if (response?.body && !(response.body instanceof Uint8Array)) {
      const chunks = [];
      for await (const chunk of response.body) chunks.push(Buffer.from(chunk));
      response.body = new Uint8Array(Buffer.concat(chunks));
    }
    lastExchange.response = {
      statusCode: response?.statusCode,
      headers: response?.headers,
      body: response?.body ? Buffer.from(response.body).toString("utf8") : undefined,
    };
    return out;
  },
  { step: "deserialize", priority: "low", name: "strongroomCaptureExchange" },
);

const steps = [];
let current = "setup";

async function step(name, fn) {
  current = name;
  const result = await fn();
  steps.push(name);
  return result;
}

async function expectError(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected the call to fail, it succeeded");
}

const run = randomUUID().slice(0, 8);
const name = `js-sdk/${run}/db`;
const binaryName = `js-sdk/${run}/blob`;
const missing = `js-sdk/${run}/missing`;

async function main() {
  const created = await step("CreateSecret", async () => {
    const out = await client.send(new CreateSecretCommand({
      Name: name,
      SecretString: '{"user":"app","password":"pw1"}',
      Description: "created by the JS SDK",
      Tags: [{ Key: "app", Value: "js-sdk" }],
    }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.equal(out.Name, name);
    assert.match(out.ARN, new RegExp(`^arn:aws:secretsmanager:[a-z0-9-]+:\\d{12}:secret:${name}-[A-Za-z0-9]{6}$`));
    assert.match(out.VersionId, /^[0-9a-f-]{36}$/);
    return out;
  });

  await step("GetSecretValue", async () => {
    const out = await client.send(new GetSecretValueCommand({ SecretId: name }));
    assert.equal(out.SecretString, '{"user":"app","password":"pw1"}');
    assert.equal(out.SecretBinary, undefined);
    assert.equal(out.ARN, created.ARN);
    assert.equal(out.Name, name);
    assert.equal(out.VersionId, created.VersionId);
    assert.deepEqual(out.VersionStages, ["AWSCURRENT"]);
    assert.ok(out.CreatedDate instanceof Date, "CreatedDate is a Date");
    assert.ok(out.CreatedDate.getUTCFullYear() >= 2024, `CreatedDate ${out.CreatedDate}`);
  });

  const put = await step("PutSecretValue", async () => {
    const out = await client.send(new PutSecretValueCommand({
      SecretId: name,
      SecretString: '{"user":"app","password":"pw2"}',
    }));
    assert.equal(out.ARN, created.ARN);
    assert.notEqual(out.VersionId, created.VersionId);
    assert.deepEqual(out.VersionStages, ["AWSCURRENT"]);
    const got = await client.send(new GetSecretValueCommand({ SecretId: name }));
    assert.equal(got.SecretString, '{"user":"app","password":"pw2"}');
    assert.equal(got.VersionId, out.VersionId);
    const previous = await client.send(new GetSecretValueCommand({
      SecretId: name, VersionStage: "AWSPREVIOUS",
    }));
    assert.equal(previous.SecretString, '{"user":"app","password":"pw1"}');
    return out;
  });

  await step("DescribeSecret", async () => {
    const out = await client.send(new DescribeSecretCommand({ SecretId: name }));
    assert.equal(out.ARN, created.ARN);
    assert.equal(out.Name, name);
    assert.equal(out.Description, "created by the JS SDK");
    assert.deepEqual(out.Tags, [{ Key: "app", Value: "js-sdk" }]);
    assert.deepEqual(out.VersionIdsToStages, {
      [put.VersionId]: ["AWSCURRENT"],
      [created.VersionId]: ["AWSPREVIOUS"],
    });
    assert.ok(out.CreatedDate instanceof Date, "CreatedDate is a Date");
    assert.ok(out.LastChangedDate instanceof Date, "LastChangedDate is a Date");
    assert.equal(out.DeletedDate, undefined);
  });

  await step("CreateSecret(SecretBinary)", async () => {
    const blob = new Uint8Array(1024);
    for (let i = 0; i < blob.length; i++) blob[i] = i % 256;
    await client.send(new CreateSecretCommand({ Name: binaryName, SecretBinary: blob }));
    const out = await client.send(new GetSecretValueCommand({ SecretId: binaryName }));
    assert.equal(out.SecretString, undefined);
    assert.ok(out.SecretBinary instanceof Uint8Array, "SecretBinary is a Uint8Array");
    assert.deepEqual(Buffer.from(out.SecretBinary), Buffer.from(blob));
  });

  await step("ListSecrets", async () => {
    const out = await client.send(new ListSecretsCommand({
      Filters: [{ Key: "name", Values: [`js-sdk/${run}/`] }],
    }));
    const names = out.SecretList.map((s) => s.Name).sort();
    assert.deepEqual(names, [binaryName, name]);
    const entry = out.SecretList.find((s) => s.Name === name);
    assert.equal(entry.ARN, created.ARN);
    assert.deepEqual(entry.Tags, [{ Key: "app", Value: "js-sdk" }]);
    const none = await client.send(new ListSecretsCommand({
      Filters: [{ Key: "name", Values: [`js-sdk/${run}/nothing-here`] }],
    }));
    assert.deepEqual(none.SecretList, []);
  });

  await step("GetRandomPassword", async () => {
    const out = await client.send(new GetRandomPasswordCommand({
      PasswordLength: 40, ExcludePunctuation: true,
    }));
    assert.equal(typeof out.RandomPassword, "string");
    assert.equal(out.RandomPassword.length, 40);
    assert.match(out.RandomPassword, /^[A-Za-z0-9]+$/);
  });

  await step("BatchGetSecretValue", async () => {
    const out = await client.send(new BatchGetSecretValueCommand({
      SecretIdList: [name, missing],
    }));
    assert.equal(out.SecretValues.length, 1);
    assert.equal(out.SecretValues[0].Name, name);
    assert.equal(out.SecretValues[0].SecretString, '{"user":"app","password":"pw2"}');
    assert.equal(out.Errors.length, 1);
    assert.equal(out.Errors[0].SecretId, missing);
    assert.equal(out.Errors[0].ErrorCode, "ResourceNotFoundException");
  });

  await step("GetSecretValue(missing)", async () => {
    const error = await expectError(client.send(new GetSecretValueCommand({ SecretId: missing })));
    assert.equal(error.name, "ResourceNotFoundException", `${error.name}: ${error.message}`);
    assert.equal(error.$fault, "client");
    assert.equal(error.$metadata.httpStatusCode, 400);
    assert.ok(error.message, "error has a message");
  });

  await step("DeleteSecret(RecoveryWindowInDays=7)", async () => {
    const out = await client.send(new DeleteSecretCommand({
      SecretId: name, RecoveryWindowInDays: 7,
    }));
    assert.equal(out.ARN, created.ARN);
    assert.ok(out.DeletionDate instanceof Date, "DeletionDate is a Date");
    const days = (out.DeletionDate.getTime() - Date.now()) / 86400000;
    assert.ok(days > 6.9 && days < 7.1, `DeletionDate ${out.DeletionDate.toISOString()}`);
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    assert.ok(described.DeletedDate instanceof Date, "DeletedDate is a Date");
    const error = await expectError(client.send(new GetSecretValueCommand({ SecretId: name })));
    assert.equal(error.name, "InvalidRequestException", `${error.name}: ${error.message}`);
  });

  await step("RestoreSecret", async () => {
    const out = await client.send(new RestoreSecretCommand({ SecretId: name }));
    assert.equal(out.ARN, created.ARN);
    assert.equal(out.Name, name);
    const got = await client.send(new GetSecretValueCommand({ SecretId: name }));
    assert.equal(got.SecretString, '{"user":"app","password":"pw2"}');
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    assert.equal(described.DeletedDate, undefined);
  });

  await step("DeleteSecret(ForceDeleteWithoutRecovery)", async () => {
    for (const id of [name, binaryName]) {
      const out = await client.send(new DeleteSecretCommand({
        SecretId: id, ForceDeleteWithoutRecovery: true,
      }));
      assert.equal(out.Name, id);
      assert.ok(out.DeletionDate instanceof Date, "DeletionDate is a Date");
      const error = await expectError(client.send(new DescribeSecretCommand({ SecretId: id })));
      assert.equal(error.name, "ResourceNotFoundException", `${error.name}: ${error.message}`);
    }
  });
}

function describeError(error) {
  const info = { name: error?.name, message: error?.message };
  if (error?.$metadata) info.metadata = error.$metadata;
  if (error?.$fault) info.fault = error.$fault;
  if (error?.$responseBodyText) info.responseBodyText = error.$responseBodyText;
  if (error instanceof assert.AssertionError) {
    info.actual = error.actual;
    info.expected = error.expected;
  }
  return info;
}

try {
  await main();
  console.log(JSON.stringify({ ok: true, sdkVersion: await sdkVersion(), steps }));
} catch (error) {
  console.error(`FAILED at step ${current}`);
  console.error("error:", JSON.stringify(describeError(error), null, 2));
  console.error("last request/response on the wire:", JSON.stringify(lastExchange, null, 2));
  if (error?.stack) console.error(error.stack);
  console.log(JSON.stringify({ ok: false, failedStep: current, steps, error: error?.name }));
  process.exitCode = 1;
}

async function sdkVersion() {
  const { createRequire } = await import("node:module");
  const require = createRequire(import.meta.url);
  return require("@aws-sdk/client-secrets-manager/package.json").version;
}
