"""Signed outbound webhooks: events written to an outbox in the transaction of the change
they tell of (:mod:`.events`), receivers managed by admins (:mod:`.endpoints`), signed as
Standard Webhooks sign them (:mod:`.signing`) and delivered in order with retries
(:mod:`.delivery`). docs/webhooks.md describes it for receivers."""
