"""The embedded broker: kombu's filesystem transport, with each message written whole.

kombu writes a message straight under its final name, so a worker polling at
that moment can take the still-empty file and stop on a JSON error. Here the
message is written under a name the reader ignores, then renamed into place
(atomic on one file system).
"""

import os
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # "<id>.<queue>.msg.part" does not end as the reader's "<queue>.msg": it is skipped until renamed.
        partial = f"{final}.part"
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as error:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from error


class Transport(filesystem.Transport):
    Channel = Channel
