// Package latipay is a thin client for the Latipay v2 merchant API: it
// creates transactions, fetches merchant-hosted QR data, queries, refunds
// and cancels, charges a shopper's pay code at the counter (barcode), and
// verifies notifications and return redirects. Gateway
// adapts the Client to payments.Gateway and turns Latipay's answers,
// refund codes included, into finished domain errors.
//
// It owns everything about Latipay's wire protocol: signing, field
// grammars, response decoding, error codes and their texts. It imports
// only the standard library and the domain package payments; the
// simulator in latipaysim shares no code with it. Change a signing rule
// in sign.go, a field grammar in grammar.go, the code texts in errors.go,
// the mapping to domain errors in gateway.go, and one endpoint in the file
// named after it (create.go, gatewaydata.go, query.go, refund.go,
// barcode.go, verify.go).
//
// Every response is verified before it is returned: signatures are
// checked with hmac.Equal, and the delimiter-free result signature is
// backed by a strict grammar for each signed field. Amounts are strings
// throughout and JSON numbers keep their literal text; the package has no
// floating-point code. It never logs, and the API key never appears in an
// error.
//
// The sections below are the protocol facts the client and the simulator
// rely on. Comments elsewhere refer to them by heading, e.g. "the result
// signature (package latipay, Signatures)".
//
// # Endpoints
//
// Production is https://api.latipay.net, staging
// https://api-staging.latipay.net; the base URL is configurable so the
// simulator can stand in. Every answer is HTTP 200 with a JSON integer
// "code" (0 is success) and a "message"; failure is in the code, not the
// HTTP status. POST bodies are JSON.
//
//	POST {base}/v2/transaction                 create a transaction
//	GET  {host_url}/{nonce}                    Latipay's hosted page (browser)
//	GET  {host_url}/{nonce}                    merchant-hosted QR data (host_type=1, JSON)
//	GET  {base}/v2/transaction/{ref}           query; is_block=1 long-polls up to 180 s
//	POST {base}/refund                         refund (not under /v2)
//	POST {base}/cancel                         cancel an unpaid transaction (not under /v2)
//	POST {base}/barcode                        charge a shopper's pay code (not under /v2)
//	POST {callback_url}                        notification, Latipay to us
//	GET  {return_url}?...                      return redirect, browser to us
//
// Create sends user_id, wallet_id, amount (a string with exactly two
// decimals), payment_method, merchant_reference, return_url,
// callback_url, ip (IPv4 only, at most 16 characters; anything else is sent
// as 127.0.0.1), version "2.0", product_name, and optionally present_qr
// "1" (WeChat) and host_type "1" (merchant-hosted). Optional fields that
// are empty are left out, never sent as "". The answer carries host_url,
// a single-use nonce and a signature; host_url must be https on an
// allowed host (Config.AllowedHosts). With host_type=1, host_url is
// .../v2/merchanthosted/gatewaydata and GET {host_url}/{nonce} answers a
// "data" object with qr_code_url (the text to encode) and its own
// signature; a nonce answers once.
//
// Where a method can be paid depends on the device: on a desktop, Latipay's
// page or our own QR from the merchant-hosted data serves WeChat and
// Alipay; on a phone browser, Latipay's page hands Alipay off to the
// Alipay app, while WeChat cannot be launched at all (it pays only inside
// WeChat's own browser). Latipay's page needs top-level navigation, never
// an iframe. payments.FlowFor applies these rules.
//
// Barcode (in store: the shopper shows the pay code of their WeChat Pay or
// Alipay app and the cashier scans it) sends user_id, wallet_id, amount
// (two decimals), merchant_reference (fresh per attempt) and pay_code, the
// digits scanned: WeChat Pay's are 18 digits starting 10 to 15, Alipay's
// 16 to 24 digits starting 25 to 30 (payments.ParsePayCode checks them
// before anything is sent). The answer, unsigned, is
// {"code":0,"message":"SUCCESS","order_id":"2018071000000033"}: Latipay
// took the order. The result comes only from the query (and a callback
// where the merchant's account has one configured; the request carries no
// callback_url). There is no reverse call: an unpaid barcode order is
// canceled with the cancel call. WeChat asks to query every 3 to 5 seconds
// for about 45 seconds; above 3,000 yuan, or after several payments in a
// day, the shopper must type a password first, so a barcode order may stay
// pending for a while. Gateway gives the barcode codes a cashier-facing
// text (barcodeCodeText).
//
// Refund sends user_id, order_id (Latipay's id, never our reference),
// refund_amount (two decimals, at most what was paid) and an optional
// reference note. Cancel sends user_id and merchant_reference.
//
// # Signatures
//
// All signatures are HMAC-SHA256 keyed by the API key, as lower-case hex;
// verification hex-decodes and compares bytes with hmac.Equal, so
// upper-case hex verifies too.
//
//   - Sorted-parameters signature (SignParams), on every request we send
//     (create, query, refund, cancel, barcode): take every parameter except
//     "signature", drop empty values, sort keys in byte order, join raw
//     (not URL-encoded) key=value pairs with "&", append the API key, MAC.
//   - Create-response signature (SignCreateResponse): MAC over
//     nonce+host_url, nonce first, no separator, no key appended.
//   - Result signature (SignResult, VerifyResult), on notifications,
//     return redirects and query answers: MAC over merchant_reference +
//     payment_method + status + currency + amount, concatenated with no
//     separator and no key appended, using the values exactly as received.
//     Because nothing separates the fields, the field grammar in grammar.go
//     is part of the check. A query answer's amount is a JSON number; its
//     literal text (e.g. 0.01, 120.00) is what is signed, so it is never
//     decoded as a float.
//   - Query request signature: Form A, the sorted-parameters signature
//     over merchant_reference and user_id (plus is_block when sent), is
//     what the client sends. Form B, a MAC over merchant_reference+user_id,
//     is an older documented form the simulator also accepts.
//   - QR-data signature: the sorted-parameters signature over every field
//     of the merchant-hosted "data" object except signature, each value
//     taken as its literal JSON text.
//   - Legacy create signature: a MAC over user_id + wallet_id + amount +
//     payment_method + return_url + callback_url, replaced in 2018; the
//     client never sends it, the simulator accepts it.
//
// # Test vectors
//
// testdata/vectors.json holds Latipay's published examples, API key
// 111222333 unless noted, each recomputed: V1 create (Latipay-hosted), V2
// create with an empty return_url left out, V3 notification/redirect/query
// result, V4 query result, V5 query request Form A, V6 refund, V7 barcode,
// V8 a captured query answer (key 7EE1, amount the JSON number 0.01), V9
// the legacy create signature, V10 cancel as documented with an unsorted
// message. TestVectors checks them all; the simulator checks its own
// signer against the same file. The documentation's placeholder signature
// 14d5b06a...4070e3 matches nothing and must fail (TestSignCreateResponse).
//
// # Statuses
//
// pending, paid and failed come from queries and notifications; canceled
// and rejected from notifications of some methods; cancel_or_fail only from
// the browser's return redirect (WeChat), so a notification carrying it is
// refused as a replayed redirect. Only paid means paid. Methods accepted in
// signed results are wechat, alipay, upi_upop, unionpay, onlineBank (and
// onlinebank), polipay, payid, azupay, moneymore, coin_payments and latipay.
//
// # Notifications and return redirects
//
// Latipay POSTs a form (application/x-www-form-urlencoded) to callback_url
// with merchant_reference, order_id, currency, amount (two decimals),
// payment_method, status, pay_time and signature, and may add fields such
// as amount_cny and rate. It retries about every 30 seconds with no limit
// until the answer is HTTP 200 with a body of exactly "sent". So every
// correctly signed notification is acknowledged whatever its status, and
// handling must be idempotent. Only the five signed fields are trusted;
// order_id is unsigned.
//
// The return redirect carries merchant_reference, payment_method, status,
// currency, amount and signature (sometimes order_id) in the query. It is
// not proof of payment: the result is confirmed by a query or a
// notification.
//
// # Error codes
//
// Non-zero codes and their English texts are in errors.go (CodeText):
// 1 fail, 201 order not exist (ErrOrderNotExist), 204 null fields, 205 no
// key or user disabled, 206 wrong signature, 207 parameter wrong, 300-305
// gateway, account, pay type and method problems, 450 wallet not assigned,
// 454 over the single-payment limit; refund codes 550, 551, 556, 558, 559
// and 562 (refund already done, which Gateway treats as success); and the
// cancel-only codes 3 data error, 110 user does not exist, 900 already paid
// (ErrAlreadyPaid) and 901 already failed (ErrAlreadyFailed). Gateway
// gives refund codes a merchant-facing text (refundCodeText).
//
// # Currencies, amounts and times
//
// The wallet fixes the currency: NZD, AUD and CNY, each with two
// decimals. pay_time is "YYYY-MM-DD HH:MM:SS" with no zone, taken to be
// UTC+8 (payTimeZone, PayTimeAt). It is not signed: a callback's is
// ignored; the query's answer to our own request dates a payment the app
// learns of late (payments.Payment.PaidAt is Latipay's time then, so a
// payment made at 23:59 and learned after midnight counts on the day it
// was made, as Latipay's settlement does). order_id is usually YYYYMMDD
// plus a sequence.
//
// # Uncertain points and the choices made
//
//   - Query signature: both forms have worked; the client sends Form A, the
//     simulator accepts both.
//   - Cancel signature: the rule says sorted, the documented example is
//     unsorted (V10); the client sorts, the simulator accepts both orders.
//   - Refund path: /refund (older pages say /finance/refund or /v2/refund).
//   - Barcode signature: the worked example (V7) signs amount, pay_code,
//     user_id and wallet_id without merchant_reference, which the field
//     table requires; the client sends merchant_reference and signs it with
//     the rest (TestBarcodeSignsV7 checks both forms).
//   - Barcode refusals: Latipay documents no codes of its own for them; the
//     simulator answers 207 for a refused pay code.
//   - Reusing a merchant_reference has no documented code; the client makes
//     a fresh reference per attempt and the simulator answers 207.
//   - The lifetime of a WeChat or Alipay QR code is not documented; expiry
//     is ours (payments).
//   - Which statuses are notified is not settled; any correctly signed
//     status is acknowledged and applied through the domain's transition
//     table.
//   - ip must be IPv4: IPv6 or unparsable input is sent as 127.0.0.1, as
//     Latipay's own demo does, rather than failing the payment.
package latipay
