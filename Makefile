# Alliance: `make chat` to talk to the bot, `make test` to run every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
# Rasa's command line with the serving fixes (bot/serving/).
LAUNCH := $(PY) -m bot.serving.launch
ACTIONS = SANIC_HOST=127.0.0.1 $(PY) -m rasa_sdk --actions actions --port $(ACTIONS_PORT) --quiet
MODEL := models/alliance.tar.gz
SPACY := build/words_en_es.json
ANSWERS := build/answers.db

RASA_PORT ?= 5005
RASA_HOST ?= 0.0.0.0
ACTIONS_PORT ?= 5055
WEB_PORT ?= 8080
# More than one Sanic worker, or ALLIANCE_REDIS_URL set (several instances behind a
# balancer, docs/deploy.md), shares conversations through Redis (endpoints.redis.yml).
WORKERS ?= 1
ENDPOINTS := $(if $(and $(filter 1,$(WORKERS)),$(if $(ALLIANCE_REDIS_URL),,1)),endpoints.yml,endpoints.redis.yml)
export ALLIANCE_REDIS_PREFIX ?= alliance
# Sites whose pages may call the server from a browser (the widget).
export ALLIANCE_CORS_ORIGINS ?= http://localhost:$(WEB_PORT) http://127.0.0.1:$(WEB_PORT)
# Nothing leaves the machine: Rasa's telemetry is off; logs stay at WARNING.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# Rasa's dependencies print pages of deprecation warnings at every start.
export PYTHONWARNINGS ?= ignore::DeprecationWarning,ignore::PendingDeprecationWarning
export ALLIANCE_ACTION_URL ?= http://127.0.0.1:$(ACTIONS_PORT)/webhook

TRAINING_DATA := config.yml domain.yml $(filter-out data/answers.yml,$(wildcard data/*.yml))
# Our graph components: Rasa's cache doesn't see their code, so a change retrains with --force.
COMPONENTS := $(wildcard bot/nlu/*.py bot/safety/*.py bot/safety/*.yml)

.PHONY: help setup chat serve bench soak instances test lint answers train clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml
	@python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' || \
	  { echo "Python 3.10 is needed (pyenv reads .python-version); got $$(python --version)"; exit 1; }
	python -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip<24"
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

$(SPACY): $(VENV)/.installed bot/nlu/spacy_pipeline.py bot/safety/rules_es.yml
	$(PY) -m bot build-spacy

$(ANSWERS): $(VENV)/.installed data/answers.yml bot/content/answers.py
	$(PY) -m bot build-answers

# Trained through the chat's runner (bot/tools/chat.py), without the pages of dependency
# warnings that would otherwise precede `make chat`'s first prompt. `make test` validates the
# data (`rasa data validate --fail-on-warnings`); validating it again here is a sixth of training.
$(MODEL): $(VENV)/.installed $(SPACY) $(TRAINING_DATA) $(COMPONENTS)
	$(PY) -m bot.tools.chat bot.serving.launch train --fixed-model-name alliance --out models --quiet \
	  --skip-validation $(if $(filter $(COMPONENTS),$?),--force)

# The widget's browser tests drive Debian's Chromium (Playwright can't download one here).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] || \
	  { echo "Install Debian's chromium (apt-get install chromium) for the widget tests"; exit 1; }
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

# The balancer tests (tests/e2e/test_balancer.py) and `make instances` run Debian's nginx.
NGINX := /usr/sbin/nginx
$(NGINX):
	@command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] || \
	  { echo "Install Debian's nginx (apt-get install nginx) for the balancer tests"; exit 1; }
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null

setup: $(VENV)/.installed $(SPACY) $(ANSWERS) $(MODEL) ## install, build the answer store and spaCy pipeline, train if data changed

answers: $(ANSWERS) ## rebuild the answer store after editing data/answers.yml (no retraining)

train: $(MODEL) ## train the model when data or config changed

# The action server and Rasa's shell, ended together however the chat ends (bot/tools/chat.py).
chat: setup ## talk to Alliance in this shell
	@$(PY) -m bot chat --model $(MODEL) --actions-port $(ACTIONS_PORT) --rasa-port $(RASA_PORT)

serve: setup ## run the server (REST, widget; Slack, Telegram when set), actions, widget demo; WORKERS=2 uses Redis
	@$(PY) -m bot credentials --target build/credentials.yml
	@$(ACTIONS) & actions=$$!; \
	$(PY) -m bot.tools.web --port $(WEB_PORT) & web=$$!; \
	trap 'kill $$actions $$web 2>/dev/null; wait 2>/dev/null' EXIT; \
	echo "Widget demo: http://localhost:$(WEB_PORT)/?server=http://localhost:$(RASA_PORT)"; \
	SANIC_WORKERS=$(WORKERS) $(if $(filter endpoints.redis.yml,$(ENDPOINTS)),ALLIANCE_REDIS_URL=$${ALLIANCE_REDIS_URL:-redis://localhost:6379/0}) \
	  $(LAUNCH) run --model $(MODEL) --endpoints $(ENDPOINTS) --credentials build/credentials.yml \
	  -i $(RASA_HOST) --port $(RASA_PORT) --cors $(ALLIANCE_CORS_ORIGINS) \
	  $${ALLIANCE_API_TOKEN:+--enable-api}

bench: setup ## measure this config against stock Rasa; writes docs/benchmarks.md
	$(PY) -m bench.run

soak: setup ## run the servers under load and faults; writes docs/reliability.md
	$(PY) -m bench.soak

instances: setup $(NGINX) ## REST throughput through nginx with 1, 2 and 3 instances sharing Redis (docs/deploy.md)
	$(PY) -m bench.instances

# The report page for a clinic (bot/tools/report.py): counts only, never message text.
# SINCE and UNTIL are dates (YYYY-MM-DD), UNTIL the day after the last; unset, the last 7 days.
SINCE ?=
UNTIL ?=
.PHONY: report
report: $(ANSWERS) ## write build/report.html for a clinic (SINCE=, UNTIL= dates; default the last 7 days)
	$(PY) -m bot report $(if $(SINCE),--since $(SINCE)) $(if $(UNTIL),--until $(UNTIL))

# The right to erasure: ID is a conversation id with its channel (telegram:12345, rest:abc).
ID ?=
.PHONY: purge
purge: $(VENV)/.installed ## erase one conversation everywhere: make purge ID=telegram:12345 (server, Redis, records)
	@test -n "$(ID)" || { echo "make purge ID=<channel>:<id>, e.g. ID=telegram:12345"; exit 2; }
	@$(PY) -m bot purge "$(ID)"

# The questions it missed, redacted, kept only with ALLIANCE_KEEP_MISSES (bot/tools/review.py).
.PHONY: review
review: $(VENV)/.installed ## review the questions it missed: train, dismiss or delete each one
	@$(PY) -m bot review

lint: $(VENV)/.installed ## ruff
	$(VENV)/bin/ruff check .

test: setup $(CHROMIUM) $(NGINX) lint ## set up and run every test
	$(RASA) data validate --fail-on-warnings --quiet
	$(LAUNCH) test core --model $(MODEL) --stories tests/test_stories.yml \
	  --fail-on-prediction-errors --out build/results --quiet
	$(VENV)/bin/pytest

clean: ## remove build outputs (keeps .venv)
	rm -rf build models results .pytest_cache
