"""The queue machinery: outbox dispatch, recurring jobs, thin jobs (workers/jobs/), warm-up, /admin/jobs. Domains never import this."""
