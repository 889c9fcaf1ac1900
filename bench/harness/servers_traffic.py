"""Buyers who keep checking out, on server A and B in turn, while the beats are put to the test; every few
of them also send a transfer proof through their order page, on the other server."""

import threading
import time
from dataclasses import dataclass

from bench.harness.drill_buyers import Buyer, Shop
from bench.harness.pages import REQUEST_TIMEOUT
from bench.harness.servers_flows import Client, order_token, proof_submit
from bench.harness.services import Database

PROOF_EVERY = 5  # one buyer in this many also sends a transfer proof


@dataclass
class ProofSent:
    buyer: int
    token: str
    server: str
    status: int  # of the proof's POST: 302 back to the order page when it was taken


class BuyerStream(threading.Thread):
    """A buyer every `interval` seconds, each in a thread of their own, on `shops` in turn, until stopped."""

    def __init__(self, shops: list[tuple[str, Shop]], database: Database, *, first: int, interval: float):
        super().__init__(daemon=True)
        self.shops, self.database, self.first, self.interval = shops, database, first, interval
        self.buyers: list[Buyer] = []
        self.proofs: list[ProofSent] = []
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def run(self) -> None:
        started = time.monotonic()
        index = 0
        while not self.stopping.is_set():
            buyer = Buyer(self.first + index, "S", 1 + index % 3, "full" if index % 2 else "dp")
            self.buyers.append(buyer)
            thread = threading.Thread(target=self._checkout, args=(index, buyer), daemon=True)
            thread.start()
            self._threads.append(thread)
            index += 1
            self.stopping.wait(max(started + index * self.interval - time.monotonic(), 0))

    def _checkout(self, index: int, buyer: Buyer) -> None:
        _name, shop = self.shops[index % len(self.shops)]
        shop.checkout(buyer)
        token = order_token(buyer)
        if token and index % PROOF_EVERY == 0:
            server, other = self.shops[(index + 1) % len(self.shops)]
            status = proof_submit(
                Client(buyer.address), other.base_url, token, self.database,
                name=f"Pembeli Drill {buyer.number}", colour=f"#{(index * 7919) % 0xFFFFFF:06x}",
            )  # fmt: skip
            with self._lock:
                self.proofs.append(ProofSent(buyer.number, token, server, status))

    def finish(self) -> None:
        """No new buyer; wait for those under way."""
        self.stopping.set()
        self.join()
        for thread in self._threads:
            thread.join(timeout=4 * REQUEST_TIMEOUT + 30)
